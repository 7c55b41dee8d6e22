"""Self-registration (seed 002): a new customer or merchant signs themselves up, no token needed.

    POST /registration          {login, role: individual|merchant, legalType (merchant: "individual")}
                                -> {"action": "OTP_SENT"}: a code goes to the login (e-mail or phone)
    POST /registration/confirm  {login, otp, password} -> the sign-in answer {"members": [...]}
                                ("In response you will get the members.user.id and members.organization.id")

The password rule is the seed's: one upper-case letter, one lower-case letter, one digit, one of
# $ ! @ * & %, at least 8 characters. A code lives as long as a sign-in code and allows three
wrong tries, like the sign-in's (inferred: the seed gives neither figure for registration).
A login that is already a user's is refused (409 USER_ALREADY_EXISTS) and nothing is sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

from kiosk.sim.sdkfinance.admin import MakeUser, business_role, legal_type_field
from kiosk.sim.sdkfinance.books import Books
from kiosk.sim.sdkfinance.rules import ApiError, Platform, invalid, judge_code, login_field, required_text

PASSWORD_SPECIALS = "#$!@*&%"


class Onboarding:
    def __init__(self, books: Books, clock: Callable[[], float], platform: Platform, make_user: MakeUser) -> None:
        self._books = books
        self._clock = clock
        self._platform = platform
        self._make_user = make_user

    def register(self, body: Mapping[str, Any]) -> dict[str, Any]:
        login = login_field(body)
        role = business_role(body)
        legal_type = legal_type_field(body, role)
        if self._books.user_by_login(login) is not None:
            raise ApiError(409, "USER_ALREADY_EXISTS", "A user with that login already exists",
                           [{"field": "login", "code": "Unique", "message": "must be unique"}])
        now = self._clock()
        code = f"{secrets.randbelow(1_000_000):06d}"
        self._books.set_registration(login, role, legal_type, code, now, now + self._platform.otp_lifetime)
        return {"action": "OTP_SENT"}

    def confirm(self, body: Mapping[str, Any]) -> dict[str, Any]:
        login = login_field(body)
        otp = required_text(body, "otp")
        if not (otp.isascii() and otp.isdigit()):
            raise invalid("otp", "Pattern", "must be digits 0-9")
        password = required_text(body, "password", strip=False)
        check_password(password)  # before the code is judged: a weak password costs no try
        pending = self._books.registration(login)
        judge_code(pending, otp, self._clock(), "register again",
                   drop=self._books.drop_registration, count_failure=self._books.count_registration_failure)
        assert pending is not None
        user = self._make_user(pending.login, password, role=pending.role, shown_password=False)
        return self._platform.members(user)


def check_password(password: str) -> None:
    rules = (
        (any(c.isascii() and c.isupper() for c in password), "one upper-case letter"),
        (any(c.isascii() and c.islower() for c in password), "one lower-case letter"),
        (any(c in "0123456789" for c in password), "one digit 0-9"),
        (any(c in PASSWORD_SPECIALS for c in password), f"one of {' '.join(PASSWORD_SPECIALS)}"),
        (len(password) >= 8, "at least 8 characters"),
    )
    missing = [what for ok, what in rules if not ok]
    if missing:
        raise invalid("password", "Pattern", "must have " + ", ".join(missing))
