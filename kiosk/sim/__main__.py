"""`python -m kiosk.sim [otp ...]`: the same as `kiosk sim ...`."""

from kiosk.sim.cli import main

raise SystemExit(main())
