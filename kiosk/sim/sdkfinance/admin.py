"""The administrator's set-up calls (seed 002: "To call the listed below APIs, authorisation as
administrator is required"): currencies, issuers, the bank catalogue, organisations and users.
A customer's or a cash point's token gets 403 ACCESS_DENIED for every one of them.

    GET  /currencies          {"currencies": [...]}            POST /currencies   {code, name, symbol, digitalCode?, description?}
    GET  /issuers             {"issuers": [...]}               POST /issuers      {snPrefix, currencyCode, name, description?, active?}
    POST /bank-catalog        {name, bic, swift} -> {bankId, ...}   (GET /bank-catalog is for every signed-in user)
    POST /organizations       {filter: {type?, name?}, pageNumber?, pageSize?} -> a page of {id, name, type}
    POST /users               {login, role, organizationId?, legalType?, name?} -> {"user": {...}}
    POST /users/view          {filter: {login?, role?, organizationId?}, ...} -> a page of users

The seed names the calls and the values' meaning but leaves out their exact fields; where it is
silent this module follows its conventions and says so: lists wrapped like {coins: [...]} and
{currencies: [...]}, pages like .../view ({records, totalRecords, pageNumber, pageSize}),
errors as {code, message, fieldErrors?}, a duplicate as HTTP 409.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from kiosk.sim import currencies
from kiosk.sim.sdkfinance.books import Bank, Books, Currency, Issuer, User
from kiosk.sim.sdkfinance.rules import (
    ApiError,
    Platform,
    bank_json,
    invalid,
    issuer_id,
    login_field,
    page,
    require_administrator,
    required_text,
    view_filter,
)

# "System organisation is a technical entity which is created during system deployment."
SYSTEM_ORGANIZATION_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "sdkfinance-sim:org:system"))
SYSTEM_ORGANIZATION_NAME = "Platform operator (system)"
BUSINESS_ROLES = ("individual", "merchant")
ROLES = (*BUSINESS_ROLES, "administrator")
# Seed 002: "legalType should be provided for merchant role and should be individual".
LEGAL_TYPES = ("individual",)

# ISO 9362: bank (4 letters), country (2 letters), location (2), optional branch (3); ASCII only.
_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_CODE = re.compile(r"^[A-Za-z0-9]{2,12}$")  # a currency code or serial prefix: "real currency or any entity"
_DIGITAL_CODE = re.compile(r"^[0-9]{1,3}$")  # inferred: the ISO 4217 numeric code, ASCII digits only

MakeUser = Callable[..., User]


class Administration:
    def __init__(self, books: Books, clock: Callable[[], float], platform: Platform, make_user: MakeUser) -> None:
        self._books = books
        self._clock = clock
        self._platform = platform
        self._make_user = make_user  # SdkFinanceSimulator.add_user: one place makes users and their organisations

    # -- currencies and issuers -------------------------------------------------------------

    def currencies(self, user: User) -> dict[str, Any]:
        require_administrator(user, "list the currencies")
        return {"currencies": [currency_json(c) for c in self.all_currencies()]}

    def all_currencies(self) -> list[Currency]:
        """The ISO currencies the platform was deployed with, then those an administrator made."""
        built_in = [Currency(code, None, currencies.symbol(code), code, None) for code in currencies.CURRENCIES]
        return [*built_in, *self._books.currencies()]

    def create_currency(self, user: User, body: Mapping[str, Any]) -> dict[str, Any]:
        require_administrator(user, "create a currency")
        code = _code_field(body, "code")
        digital = _optional_text(body, "digitalCode")
        if digital is not None and not _DIGITAL_CODE.match(digital):
            raise invalid("digitalCode", "Pattern", "must be 1-3 digits 0-9")
        currency = Currency(code, digital, required_text(body, "symbol"), required_text(body, "name"),
                            _optional_text(body, "description"))
        if any(c.code.upper() == code.upper() for c in self.all_currencies()):
            raise ApiError(409, "CURRENCY_ALREADY_EXISTS", f"A currency with code {code} already exists",
                           [{"field": "code", "code": "Unique", "message": "must be unique"}])
        self._books.add_currency(currency, self._clock())
        return currency_json(currency)

    def issuers(self, user: User) -> dict[str, Any]:
        require_administrator(user, "list the issuers")
        return {"issuers": [self._issuer_json(i) for i in self._all_issuers()]}

    def _all_issuers(self) -> list[Issuer]:
        # One issuer per built-in currency, the one every coin names (rules.coin_json).
        built_in = [Issuer(issuer_id(code), code, code, f"{code} issuer", None, True) for code in currencies.CURRENCIES]
        return [*built_in, *self._books.issuers()]

    def create_issuer(self, user: User, body: Mapping[str, Any]) -> dict[str, Any]:
        require_administrator(user, "create an issuer")
        prefix = _code_field(body, "snPrefix")
        code = required_text(body, "currencyCode")
        name = required_text(body, "name")
        active = body.get("active", True)
        if not isinstance(active, bool):
            raise invalid("active", "Type", "must be true or false")
        if not any(c.code == code for c in self.all_currencies()):
            raise ApiError(404, "CURRENCY_NOT_FOUND", f"Currency {code} not found")
        if any(i.sn_prefix.upper() == prefix.upper() for i in self._all_issuers()):
            raise ApiError(409, "ISSUER_ALREADY_EXISTS", f"An issuer with prefix {prefix} already exists",
                           [{"field": "snPrefix", "code": "Unique", "message": "must be unique"}])
        issuer = Issuer(str(uuid.uuid4()), prefix, code, name, _optional_text(body, "description"), active)
        self._books.add_issuer(issuer, self._clock())
        return self._issuer_json(issuer)

    def _issuer_json(self, i: Issuer) -> dict[str, Any]:
        currency = next(c for c in self.all_currencies() if c.code == i.currency)
        return {"id": i.issuer_id, "snPrefix": i.sn_prefix, "sn": i.sn_prefix, "name": i.name,
                "description": i.description, "active": i.active, "currency": currency_json(currency)}

    # -- banks ------------------------------------------------------------------------------

    def create_bank(self, user: User, body: Mapping[str, Any]) -> dict[str, Any]:
        require_administrator(user, "add a bank")
        name = required_text(body, "name")
        codes = {}
        for field in ("bic", "swift"):
            value = required_text(body, field)
            if not _BIC.match(value):
                raise invalid(field, "Pattern", "must be 8 or 11 capital letters A-Z and digits 0-9 (ISO 9362)")
            codes[field] = value
        # "Bic and Swift values should be unique"
        banks = self._platform.all_banks()
        taken = [f for f in ("bic", "swift") if any(getattr(b, f) == codes[f] for b in banks)]
        if taken:
            raise ApiError(409, "BANK_ALREADY_EXISTS", "A bank with that BIC or SWIFT code already exists",
                           [{"field": f, "code": "Unique", "message": "must be unique"} for f in taken])
        bank = Bank(str(uuid.uuid4()), name, codes["bic"], codes["swift"])
        self._books.add_bank(bank, self._clock())
        return {"bankId": bank.bank_id, **bank_json(bank)}

    # -- organisations and users ------------------------------------------------------------

    def organizations(self, user: User, body: Mapping[str, Any]) -> dict[str, Any]:
        require_administrator(user, "list the organisations")
        flt = view_filter(body)
        wanted_type = _filter_text(flt, "type")
        wanted_name = _filter_text(flt, "name")
        found: dict[str, dict[str, Any]] = {SYSTEM_ORGANIZATION_ID: _system_organization()}
        for u in self._books.users():
            found.setdefault(u.organization_id, organization_json(u))
        records = [o for o in found.values()
                   if (wanted_type is None or o["type"] == wanted_type.lower())
                   and (wanted_name is None or wanted_name.lower() in o["name"].lower())]
        return page(body, records)

    def create_user(self, user: User, body: Mapping[str, Any]) -> dict[str, Any]:
        require_administrator(user, "register a user")
        login = login_field(body)
        role = _role(body)
        legal_type_field(body, role)
        organization_id = _optional_text(body, "organizationId")
        if role == "administrator":
            # "The service user should be linked to the system organisation."
            if organization_id is None:
                raise invalid("organizationId", "NotNull", "a service user joins a system organisation")
            if organization_id != SYSTEM_ORGANIZATION_ID:
                self._organization(organization_id)  # 404 if there is none
                raise invalid("organizationId", "Type", "a service user joins a system organisation")
        elif organization_id is not None:
            joined = self._organization(organization_id)
            if joined["type"] != role:
                raise invalid("organizationId", "Type", f"that organisation is not a {role}'s")
        if self._books.user_by_login(login) is not None:
            raise ApiError(409, "USER_ALREADY_EXISTS", "A user with that login already exists",
                           [{"field": "login", "code": "Unique", "message": "must be unique"}])
        # The platform makes the password and sends it to the login (the simulator shows it in
        # /_sim/sdkfinance/info instead); the user changes it later.
        made = self._make_user(login, generated_password(), name=_optional_text(body, "name") or "", role=role,
                               organization_id=organization_id)
        return {"user": user_json(made)}

    def users(self, user: User, body: Mapping[str, Any]) -> dict[str, Any]:
        require_administrator(user, "list the users")
        flt = view_filter(body)
        wanted_login = _filter_text(flt, "login")
        wanted_role = _filter_text(flt, "role")
        wanted_org = _filter_text(flt, "organizationId")
        records = [user_json(u) for u in self._books.users()
                   if (wanted_login is None or wanted_login.lower() in u.login.lower())
                   and (wanted_role is None or u.role == wanted_role)
                   and (wanted_org is None or u.organization_id == wanted_org)]
        return page(body, records)

    def _organization(self, organization_id: str) -> dict[str, Any]:
        if organization_id == SYSTEM_ORGANIZATION_ID:
            return _system_organization()
        for u in self._books.users():
            if u.organization_id == organization_id:
                return organization_json(u)
        raise ApiError(404, "ORGANIZATION_NOT_FOUND", "Organization not found")


def currency_json(c: Currency) -> dict[str, Any]:
    return {"code": c.code, "digitalCode": c.digital_code, "symbol": c.symbol, "name": c.name,
            "description": c.description}


def organization_json(u: User) -> dict[str, Any]:
    if u.organization_id == SYSTEM_ORGANIZATION_ID:
        return _system_organization()
    return {"id": u.organization_id, "name": u.organization_name, "type": u.role}


def _system_organization() -> dict[str, Any]:
    return {"id": SYSTEM_ORGANIZATION_ID, "name": SYSTEM_ORGANIZATION_NAME, "type": "system"}


def user_json(u: User) -> dict[str, Any]:
    """A user as the platform shows one (never a password): "save user.id and
    user.members.organization.id"."""
    return {"id": u.user_id, "login": u.login, "name": u.name, "role": u.role,
            "members": [{"organization": organization_json(u), "role": u.role}]}


def generated_password() -> str:
    """A password that meets the platform's own rule (upper, lower, digit, special, 8+)."""
    return "Aa1#" + secrets.token_urlsafe(12)


def legal_type_field(body: Mapping[str, Any], role: str) -> str | None:
    value = body.get("legalType")
    if role != "merchant":
        return None
    if not isinstance(value, str) or value not in LEGAL_TYPES:
        raise invalid("legalType", "NotNull", "a merchant needs legalType 'individual'")
    return value


def _role(body: Mapping[str, Any]) -> str:
    role = required_text(body, "role")
    if role not in ROLES:
        raise invalid("role", "Pattern", "must be individual, merchant or administrator")
    return role


def business_role(body: Mapping[str, Any]) -> str:
    role = required_text(body, "role")
    if role not in BUSINESS_ROLES:
        raise invalid("role", "Pattern", "must be individual or merchant")
    return role


def _code_field(body: Mapping[str, Any], field: str) -> str:
    value = required_text(body, field)
    if not _CODE.match(value):
        raise invalid(field, "Pattern", "must be 2-12 letters or digits 0-9")
    return value


def _optional_text(body: Mapping[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 255:
        raise invalid(field, "Size", "must be text of at most 255 characters")
    return value.strip() or None


def _filter_text(flt: Mapping[str, Any], field: str) -> str | None:
    value = flt.get(field)
    if value is not None and not isinstance(value, str):
        raise invalid(f"filter.{field}", "Type", "must be text")
    return value
