"""The administrator's set-up calls (seed 002): currencies, issuers, banks, organisations and
users. Each is refused to a customer's and to the cash point's token with 403 ACCESS_DENIED, and
a refused or invalid call changes nothing."""

from __future__ import annotations

import pytest

from kiosk.sim.sdkfinance import DEMO_ADMIN

from .conftest import ANNA

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# Every administrator-only call, with a body it would accept from the administrator.
ADMIN_CALLS = [
    ("GET", "/currencies", None),
    ("POST", "/currencies", {"code": "PTS", "name": "Loyalty points", "symbol": "P"}),
    ("GET", "/issuers", None),
    ("POST", "/issuers", {"snPrefix": "PTS1", "currencyCode": "EUR", "name": "Second EUR issuer"}),
    ("POST", "/bank-catalog", {"name": "High Street Bank", "bic": "HSBKGB2LXXX", "swift": "HSBKGB2L"}),
    ("POST", "/organizations", {}),
    ("POST", "/users", {"login": "new.customer@example.com", "role": "individual"}),
    ("POST", "/users/view", {}),
]


@pytest.fixture
def admin(sim, api):
    return api.token(sim, DEMO_ADMIN)


def call(api, method, path, body, token):
    return api.get(path, token) if method == "GET" else api.post(path, body, token)


def refused(response, status, code, field=None) -> bool:
    document = response.json()
    if field is not None and field not in [e["field"] for e in document.get("fieldErrors", [])]:
        return False
    return response.status_code == status and document["code"] == code and bool(document["message"])


@pytest.mark.parametrize("method, path, body", ADMIN_CALLS)
def test_the_administrator_may_and_a_customer_or_the_cash_point_may_not(sim, api, anna, cash, admin, method, path, body):
    users_before = len(sim.books.users())
    for token in (anna, cash):
        assert refused(call(api, method, path, body, token), 403, "ACCESS_DENIED")
    assert len(sim.books.users()) == users_before
    assert sim.books.currencies() == [] and sim.books.issuers() == [] and sim.books.banks() == []
    assert call(api, method, path, body, admin).status_code == 200


@pytest.mark.parametrize("method, path, body", ADMIN_CALLS)
def test_every_setup_call_needs_a_token(sim, api, method, path, body):
    assert refused(call(api, method, path, body, None), 401, "UNAUTHORIZED")


def test_the_administrator_signs_in_as_a_member_of_the_system_organisation(sim, api):
    (member,) = api.post("/authorization", {"login": DEMO_ADMIN["login"], "password": DEMO_ADMIN["password"]}).json()["members"]
    assert member["role"] == "administrator" and member["organization"]["type"] == "system"


# -- currencies and issuers ------------------------------------------------------------------------


def test_a_new_currency_is_listed_and_a_second_one_with_its_code_is_409(sim, api, admin):
    made = api.post("/currencies", {"code": "PTS", "digitalCode": "999", "name": "Points", "symbol": "P",
                                    "description": "loyalty"}, admin)
    assert made.json() == {"code": "PTS", "digitalCode": "999", "symbol": "P", "name": "Points", "description": "loyalty"}
    listed = api.get("/currencies", admin).json()["currencies"]
    assert [c["code"] for c in listed].count("PTS") == 1 and any(c["code"] == "EUR" for c in listed)
    for code in ("PTS", "pts", "EUR"):
        again = api.post("/currencies", {"code": code, "name": "x", "symbol": "x"}, admin)
        assert refused(again, 409, "CURRENCY_ALREADY_EXISTS", "code")
    assert len(sim.books.currencies()) == 1


@pytest.mark.parametrize("body, field", [
    ({"name": "Points", "symbol": "P"}, "code"),
    ({"code": "PTS", "symbol": "P"}, "name"),
    ({"code": "P T S", "name": "Points", "symbol": "P"}, "code"),
    ({"code": "PTS", "name": "Points", "symbol": "P", "digitalCode": "９９９"}, "digitalCode"),
    ({"code": "PTS", "name": "Points", "symbol": "P", "digitalCode": "١٢"}, "digitalCode"),
])
def test_a_currency_without_a_field_or_with_other_digits_is_a_validation_error(sim, api, admin, body, field):
    assert refused(api.post("/currencies", body, admin), 400, "VALIDATION_ERROR", field)
    assert sim.books.currencies() == []


def test_an_issuer_needs_a_known_currency_and_a_unique_prefix(sim, api, admin):
    made = api.post("/issuers", {"snPrefix": "EURB", "currencyCode": "EUR", "name": "EUR issuer B"}, admin).json()
    assert made["id"] and made["snPrefix"] == "EURB" and made["currency"]["code"] == "EUR" and made["active"] is True
    assert any(i["id"] == made["id"] for i in api.get("/issuers", admin).json()["issuers"])
    unknown = api.post("/issuers", {"snPrefix": "XYZ1", "currencyCode": "XYZ", "name": "x"}, admin)
    assert refused(unknown, 404, "CURRENCY_NOT_FOUND")
    twice = api.post("/issuers", {"snPrefix": "eurb", "currencyCode": "EUR", "name": "x"}, admin)
    assert refused(twice, 409, "ISSUER_ALREADY_EXISTS", "snPrefix")
    assert [i.sn_prefix for i in sim.books.issuers()] == ["EURB"]


def test_the_issuer_named_in_a_coin_is_listed(sim, api, anna, admin):
    coin = api.coin(anna, "EUR")
    assert any(i["id"] == coin["issuer"]["id"] for i in api.get("/issuers", admin).json()["issuers"])


# -- banks ---------------------------------------------------------------------------------------------


def test_a_new_bank_gets_an_id_the_catalogue_and_a_withdrawal_accept(sim, api, anna, admin):
    made = api.post("/bank-catalog", {"name": "High Street Bank", "bic": "HSBKGB2LXXX", "swift": "HSBKGB2L"}, admin).json()
    assert made["bankId"] and made["bic"] == "HSBKGB2LXXX"
    assert any(b["id"] == made["bankId"] for b in api.get("/bank-catalog", anna).json()["records"])
    serial = api.coin(anna, "EUR")["serial"]
    created = api.post("/bank-withdrawals/with-bank", {"coinSerial": serial, "amount": 5, "bankId": made["bankId"]}, anna)
    assert created.status_code == 200 and created.json()["bankId"] == made["bankId"]


def test_bic_and_swift_are_unique(sim, api, admin):
    api.post("/bank-catalog", {"name": "A", "bic": "HSBKGB2LXXX", "swift": "HSBKGB2L"}, admin)
    same_bic = api.post("/bank-catalog", {"name": "B", "bic": "HSBKGB2LXXX", "swift": "OTHRGB2L"}, admin)
    assert refused(same_bic, 409, "BANK_ALREADY_EXISTS", "bic")
    demo_swift = api.post("/bank-catalog", {"name": "C", "bic": "OTHRGB2LXXX", "swift": "DEMOGB2L"}, admin)
    assert refused(demo_swift, 409, "BANK_ALREADY_EXISTS", "swift")
    assert len(sim.books.banks()) == 1


@pytest.mark.parametrize("bic", ["HSBK", "hsbkgb2l", "HSBKGB2LXX", "HSBKGB２L", "ＨSBKGB2L", ""])
def test_a_bic_that_is_not_iso_9362_in_ascii_is_a_validation_error(sim, api, admin, bic):
    response = api.post("/bank-catalog", {"name": "A", "bic": bic, "swift": "HSBKGB2L"}, admin)
    assert refused(response, 400, "VALIDATION_ERROR", "bic")
    assert sim.books.banks() == []


# -- organisations and users -----------------------------------------------------------------------


def test_organisations_filter_to_the_system_one(sim, api, admin):
    everything = api.post("/organizations", {}, admin).json()
    assert everything["totalRecords"] == 1 + 1 + 4  # system, the store, four customers
    system = api.post("/organizations", {"filter": {"type": "system"}}, admin).json()["records"]
    assert [o["type"] for o in system] == ["system"]
    page = api.post("/organizations", {"pageSize": 2, "pageNumber": 1}, admin).json()
    assert len(page["records"]) == 2 and page["pageNumber"] == 1
    assert refused(api.post("/organizations", {"filter": "system"}, admin), 400, "VALIDATION_ERROR", "filter")


def test_a_service_user_joins_the_system_organisation_and_can_sign_in(sim, api, admin):
    system_id = api.post("/organizations", {"filter": {"type": "system"}}, admin).json()["records"][0]["id"]
    made = api.post("/users", {"login": "ops@demo-platform.example.com", "role": "administrator",
                               "organizationId": system_id}, admin)
    user = made.json()["user"]
    assert user["id"] and user["role"] == "administrator" and user["members"][0]["organization"]["id"] == system_id
    assert "password" not in made.text
    password = next(a["password"] for a in sim.info()["administrators"] if a["login"] == "ops@demo-platform.example.com")
    signed_in = api.post("/authorization", {"login": "ops@demo-platform.example.com", "password": password})
    assert signed_in.json()["members"][0]["role"] == "administrator"


def test_a_service_user_outside_the_system_organisation_is_refused(sim, api, admin):
    store = api.post("/organizations", {"filter": {"type": "merchant"}}, admin).json()["records"][0]["id"]
    no_org = api.post("/users", {"login": "ops@x.example.com", "role": "administrator"}, admin)
    assert refused(no_org, 400, "VALIDATION_ERROR", "organizationId")
    wrong = api.post("/users", {"login": "ops@x.example.com", "role": "administrator", "organizationId": store}, admin)
    assert refused(wrong, 400, "VALIDATION_ERROR", "organizationId")
    unknown = api.post("/users", {"login": "ops@x.example.com", "role": "individual", "organizationId": "nope"}, admin)
    assert refused(unknown, 404, "ORGANIZATION_NOT_FOUND")
    assert sim.books.user_by_login("ops@x.example.com") is None


def test_a_customer_gets_an_organisation_of_their_own_and_a_merchant_needs_a_legal_type(sim, api, admin):
    made = api.post("/users", {"login": "sam@example.com", "role": "individual"}, admin).json()["user"]
    assert made["members"][0]["organization"]["type"] == "individual"
    merchant = api.post("/users", {"login": "shop@example.com", "role": "merchant"}, admin)
    assert refused(merchant, 400, "VALIDATION_ERROR", "legalType")
    merchant = api.post("/users", {"login": "shop@example.com", "role": "merchant", "legalType": "individual"}, admin)
    assert merchant.json()["user"]["role"] == "merchant"


@pytest.mark.parametrize("body, status, code, field", [
    ({"login": ANNA["login"], "role": "individual"}, 409, "USER_ALREADY_EXISTS", "login"),
    ({"login": "x@example.com", "role": "superuser"}, 400, "VALIDATION_ERROR", "role"),
    ({"role": "individual"}, 400, "VALIDATION_ERROR", "login"),
    ({"login": "+447700900123".translate(FULL_WIDTH), "role": "individual"}, 400, "VALIDATION_ERROR", "login"),
])
def test_a_user_the_platform_cannot_make_is_refused(sim, api, admin, body, status, code, field):
    before = len(sim.books.users())
    assert refused(api.post("/users", body, admin), status, code, field)
    assert len(sim.books.users()) == before


def test_users_view_filters_and_never_shows_a_password(sim, api, admin):
    everyone = api.post("/users/view", {}, admin)
    assert everyone.json()["totalRecords"] == len(sim.books.users())
    assert ANNA["password"] not in everyone.text and "password" not in everyone.text
    anna = api.post("/users/view", {"filter": {"login": ANNA["login"]}}, admin).json()["records"]
    assert [u["login"] for u in anna] == [ANNA["login"]]
    merchants = api.post("/users/view", {"filter": {"role": "merchant"}}, admin).json()["records"]
    assert {u["role"] for u in merchants} == {"merchant"}
    assert refused(api.post("/users/view", {"pageSize": 0}, admin), 400, "VALIDATION_ERROR", "pageSize")
