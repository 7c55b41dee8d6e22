"""The simulator's demo merchant and customers.

All of it is fiction: names, addresses, 555-01xx phone numbers, example.com e-mail addresses,
licence numbers. Account 116574819 and client id "flexitidemo" are the examples Flexiti's own
documentation uses. Amounts are Canadian dollars (Flexiti lends in Canada).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from kiosk.sim.flexiti.licence import make_licence_scan

BASE_PATH = "/flexiti/pos-api/v2.5"  # the API's own path (the simulator serves it here)
DEMO_CLIENT_ID = "flexitidemo"
# A GUID like the documentation's example secret; a public demo value, never a real credential.
DEMO_CLIENT_SECRET = "5b9e2c41-7f3a-4d8e-a6b0-1c2d3e4f5a6b"
DEMO_LOCATION_ID = "CASHPOINT-001"  # external_location_id registered for the demo merchant
CURRENCY = "CAD"

SECURITY_QUESTIONS: dict[str, str] = {
    "1": "What was the name of your first pet?",
    "2": "In what city were you born?",
    "3": "What is your mother's maiden name?",
    "4": "What was the make of your first car?",
}


@dataclass(frozen=True)
class DemoCustomer:
    account_number: str
    customer_id: str
    first_name: str
    last_name: str
    dob: date
    credit_limit: Decimal
    balance: Decimal  # owed; available credit = credit_limit - balance
    security_qid: str
    security_answer: str
    email: str
    phone: str  # 10 digits, as Flexiti stores it
    licence_number: str
    licence_expiry: date
    middle_name: str = ""
    account_status: str = "N"  # N normal, A auth prohibited, F frozen, Z charged off, C closed
    active: bool = True
    regular_purchase_bypass: bool = False
    address_1: str = ""
    city: str = "TORONTO"
    province: str = "ON"
    postal_code: str = ""
    card_ending_in: str = ""
    note: str = ""  # what the customer is for, in the demo

    @property
    def available_credit(self) -> Decimal:
        return self.credit_limit - self.balance

    @property
    def security_question(self) -> str:
        return SECURITY_QUESTIONS[self.security_qid]

    @property
    def licence_scan(self) -> str:
        return make_licence_scan(
            first_name=self.first_name,
            middle_name=self.middle_name,
            last_name=self.last_name,
            dob=self.dob,
            licence_number=self.licence_number,
            expiry=self.licence_expiry,
            address_1=self.address_1,
            city=self.city,
            province=self.province,
            postal_code=self.postal_code,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "account_number": self.account_number,
            "customer_id": self.customer_id,
            "name": f"{self.first_name} {self.last_name}",
            "first_name": self.first_name,
            "last_name": self.last_name,
            "dob": self.dob.isoformat(),
            "account_status": self.account_status,
            "active": self.active,
            "credit_limit": f"{self.credit_limit:.2f}",
            "available_credit": f"{self.available_credit:.2f}",
            "balance_owed": f"{self.balance:.2f}",
            "security_question": {"id": self.security_qid, "text": self.security_question,
                                  "answer": self.security_answer},
            "regular_purchase_bypass": self.regular_purchase_bypass,
            "email": self.email,
            "phone": self.phone,
            "licence_number": self.licence_number,
            "licence_scan": self.licence_scan,
            "note": self.note,
        }


DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer(
        account_number="116574819", customer_id="829825", first_name="Jane", last_name="Tremblay",
        dob=date(1985, 3, 14), credit_limit=Decimal("5000.00"), balance=Decimal("1200.00"),
        security_qid="1", security_answer="Biscuit", email="jane.tremblay@example.com",
        phone="4165550142", licence_number="T7265-41858-50314", licence_expiry=date(2031, 3, 14),
        regular_purchase_bypass=True, address_1="55 University Ave", postal_code="M5J2H7",
        card_ending_in="5941", note="good standing, qualifies for regular purchase bypass",
    ),
    DemoCustomer(
        account_number="234567890", customer_id="123412", first_name="Samuel", last_name="Okafor",
        dob=date(1990, 11, 2), credit_limit=Decimal("1500.00"), balance=Decimal("1450.00"),
        security_qid="2", security_answer="Lagos", email="s.okafor@example.com",
        phone="6135550178", licence_number="O4120-78309-01102", licence_expiry=date(2029, 11, 2),
        address_1="12 Bank St", city="OTTAWA", postal_code="K1P5N2", card_ending_in="6457",
        note="only 50.00 of credit left: a larger in-store payment gets not_enough_credit",
    ),
    DemoCustomer(
        account_number="345678901", customer_id="561203", first_name="Liam", last_name="Chen",
        dob=date(1969, 1, 30), credit_limit=Decimal("3000.00"), balance=Decimal("2875.40"),
        security_qid="4", security_answer="Civic", email="liam.chen@example.com",
        phone="9055550113", licence_number="C2104-11596-90130", licence_expiry=date(2027, 1, 30),
        account_status="A", address_1="8 King St W", city="HAMILTON", postal_code="L8P1A1",
        card_ending_in="3310", note="past due (status A): deposits accepted, in-store payments refused",
    ),
    DemoCustomer(
        account_number="456789012", customer_id="774410", first_name="Marie", last_name="Gagnon",
        dob=date(1978, 7, 21), credit_limit=Decimal("2000.00"), balance=Decimal("0.00"),
        security_qid="3", security_answer="Roy", email="marie.gagnon@example.com",
        phone="5145550190", licence_number="G2550-40787-80721", licence_expiry=date(2030, 7, 21),
        active=False, address_1="300 Rue Sainte-Catherine", city="MONTREAL", province="QC",
        postal_code="H2X1L4", card_ending_in="8802", note="account not activated yet: user_not_active",
    ),
)
