"""Whose access the doctor judges: the service's user when run as root (as on a till), else
whoever runs it; and how a file's owner and mode are shown."""

from __future__ import annotations

import grp
import os
import pwd
import stat
from dataclasses import dataclass

from kiosk.doctor.report import OK, WARN, Report

SERVICE_USER = "kiosk"  # the unit's User=
SERVICE_GROUPS = ("dialout",)  # the unit's SupplementaryGroups=


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gids: frozenset[int]

    def can(self, st: os.stat_result, want: int) -> bool:
        """Whether this account may read (4) / write (2) / search (1) by the mode bits."""
        if self.uid == 0:
            return True
        if st.st_uid == self.uid:
            bits = (st.st_mode >> 6) & 7
        elif st.st_gid in self.gids:
            bits = (st.st_mode >> 3) & 7
        else:
            bits = st.st_mode & 7
        return bits & want == want


def _account(service_user: str | None) -> Account:
    """The account whose access matters: the service's user when run as root (and it exists),
    else whoever runs the doctor."""
    if os.geteuid() == 0 and service_user:
        try:
            pw = pwd.getpwnam(service_user)
        except KeyError:
            pass
        else:
            gids = {pw.pw_gid} | {g.gr_gid for g in grp.getgrall() if pw.pw_name in g.gr_mem}
            for name in SERVICE_GROUPS if service_user == SERVICE_USER else ():
                try:
                    gids.add(grp.getgrnam(name).gr_gid)
                except KeyError:
                    pass
            return Account(pw.pw_name, pw.pw_uid, frozenset(gids))
    uid = os.geteuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = str(uid)
    return Account(name, uid, frozenset({os.getegid(), *os.getgroups()}))


def _check_service_user(report: Report, service_user: str | None) -> None:
    """Run as root, the doctor judges file and port access for the service's user."""
    if not service_user or os.geteuid() != 0:
        return
    who = _account(service_user)
    if who.uid == 0:
        report.line(WARN, "service user", f"there is no user {service_user}: access is judged for root", "install the package (it creates the user)")
        return
    names = sorted(g.gr_name for g in grp.getgrall() if g.gr_gid in who.gids)
    report.line(OK, "service user", f"{who.name} (groups {', '.join(names)}): access is judged for this user")


def _owner(st: os.stat_result) -> str:
    try:
        user = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        user = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return f"{user}:{group} {stat.S_IMODE(st.st_mode):04o}"
