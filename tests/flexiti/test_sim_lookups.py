"""Customer look-up by account number, by name and date of birth, and by driver's licence."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.sim.flexiti import DEMO_CUSTOMERS
from kiosk.sim.flexiti.licence import LicenceError, parse_licence

from .conftest import JANE, MARIE, error_of

# Flexiti's own example request body for customers/driverslicense.
DOC_EXAMPLE = (
    "@\n\u001e\rANSI\n604428040101 DL00310219DLDCAunavI\nDCBNONE\nDCDNONE\nDBA20200515\nDCSNUMBER1\n"
    "DACENSTREAM \nDAD\nDBD20140516\nDBB19740515\nDBCZ\nDAYBLU\nDAU163 cm\nDAG55 UNIVERSITY AVE\n"
    "DAITORONTO\nDAJON\nDAKM5J 2H7\nDAQD61014070660905\nDCFPEJK368N4\nDCGCAN\nDDEU\nDDFU\nDDGU\r"
)


def test_lookup_by_account_number(sim, api):
    response = api.lookup(account_number=JANE)
    assert response.status_code == 200
    body = response.json()
    assert body["account_number"] == int(JANE) and body["first_name"] == "Jane"
    assert body["available_credit"] == 3800 and body["security_qid"]["id"] == "1"
    assert "answer" not in str(body).lower()


def test_lookup_errors(sim, api):
    assert api.lookup(account_number="999999999").status_code == 404
    assert error_of(api.lookup(account_number=MARIE)) == "user_not_active"
    assert api.lookup().status_code == 400


def test_search_by_name_and_date_of_birth(sim, api):
    found = api.search(first_name="JANE", last_name="tremblay", dob="1985-03-14")
    assert found.status_code == 200
    (account,) = found.json()
    assert account["account_number"] == int(JANE) and account["available_credit"] == "3800.00"
    assert api.search(first_name="Jane", last_name="Tremblay", dob="1985-03-15").status_code == 404
    bad = api.search(first_name="Jane", dob="14/03/1985")
    assert bad.status_code == 400 and {e["param"] for e in bad.json()["field_errors"]} == {"last_name", "dob"}


def test_driverslicense_decodes_the_scan(sim, api):
    for customer in DEMO_CUSTOMERS:
        body = api.licence(customer.licence_scan).json()
        assert (body["first_name"], body["last_name"], body["dob"]) == (
            customer.first_name, customer.last_name, customer.dob.isoformat())
        assert body["govid_number"] == customer.licence_number and body["govid_type"] == "CADL"


def test_driverslicense_reads_the_documentation_example(sim, api):
    body = api.licence(DOC_EXAMPLE).json()
    assert (body["first_name"], body["last_name"], body["dob"]) == ("Enstream", "Number1", "1974-05-15")
    assert body["govid_number"] == "D61014070660905" and body["govid_expiry"] == "2020-05-15"


def test_driverslicense_refuses_what_is_not_a_licence(sim, api):
    for code in ("hello", "", 42):
        response = api.licence(code)
        assert response.status_code == 400 and response.json()["field_errors"][0]["param"] == "code"


def test_licence_parser_handles_us_dates_and_old_name_fields():
    scan = "@\n\x1e\rANSI 636014040002DL00410278DLDAQA1234567\nDAAROE,RICHARD,M\nDBB07041976\nDCGUSA\r"
    data = parse_licence(scan)
    assert (data.first_name, data.middle_name, data.last_name) == ("RICHARD", "M", "ROE")
    assert data.dob == date(1976, 7, 4)
    with pytest.raises(LicenceError):
        parse_licence("@\n\x1e\rANSI 636014040002DL00410278DLDAQA1234567\r")
