"""`kiosk doctor` (run.py), one module per concern; see run.py."""

from kiosk.doctor.config import CREDSTORE, _check_sign_in, credential_name
from kiosk.doctor.report import FAIL, OK, SKIP, WARN, Report, _bounded, _TimedOut
from kiosk.doctor.run import run_doctor, run_doctor_from_args

__all__ = [
    "CREDSTORE", "FAIL", "OK", "SKIP", "WARN", "Report", "_TimedOut", "_bounded", "_check_sign_in", "credential_name",
    "run_doctor", "run_doctor_from_args",
]
