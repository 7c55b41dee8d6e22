"""A minimal POS client for the simulator's tests, written from REFERENCE §1's formula.

It deliberately does not use kiosk.sim.signing: the tests must check the simulator against
the documented formula, not against the simulator's own code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from kiosk.sim.rapyd import DEMO_ACCESS_KEY, DEMO_POS_ID, DEMO_SECRET_KEY


def signature(method: str, path: str, salt: str, timestamp: str, access_key: str, secret: str, body: bytes) -> str:
    to_sign = (method.lower() + path + salt + timestamp + access_key + secret).encode() + body
    hex_digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).hexdigest()
    return base64.b64encode(hex_digest.encode()).decode()


@dataclass
class Session:
    phone: str
    token_id: str
    operation_id: str
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # currency -> account

    @property
    def headers(self) -> dict[str, str]:
        return {"token_id": self.token_id, "operation_id": self.operation_id, "phone_number": self.phone}

    def account_id(self, currency: str) -> str:
        return self.accounts[currency]["account_id"]


class Pos:
    def __init__(self, url: str, clock: Callable[[], float], *, timeout: float = 5.0) -> None:
        self.http = httpx.Client(base_url=url, timeout=timeout)
        self.clock = clock

    def close(self) -> None:
        self.http.close()

    def auth_headers(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        *,
        salt: str | None = None,
        timestamp: str | None = None,
        access_key: str = DEMO_ACCESS_KEY,
        secret: str = DEMO_SECRET_KEY,
    ) -> dict[str, str]:
        salt = secrets.token_hex(6) if salt is None else salt
        timestamp = str(int(self.clock())) if timestamp is None else timestamp
        return {
            "access_key": access_key,
            "salt": salt,
            "timestamp": timestamp,
            "signature": signature(method, path, salt, timestamp, access_key, secret, body),
            "content-type": "application/json",
        }

    def call(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        *,
        idempotency: str | None = None,
        timeout: float | None = None,
        **signing: Any,
    ) -> httpx.Response:
        all_headers = {**self.auth_headers(method, path, body, **signing), **(headers or {})}
        if idempotency is not None:
            all_headers["idempotency"] = idempotency
        extra = {} if timeout is None else {"timeout": timeout}
        return self.http.request(method, path, headers=all_headers, content=body, **extra)

    # -- the operations ---------------------------------------------------------------------

    def echo(self, **kw: Any) -> httpx.Response:
        return self.call("GET", "/v1/pos/echo", **kw)

    def login(self, phone: str, code: str, pos_id: str = DEMO_POS_ID, **kw: Any) -> httpx.Response:
        return self.call("POST", f"/v1/pos/login/{pos_id}/{code}", {"phone_number": phone}, **kw)

    def open_session(self, sim: Any, phone: str, pos_id: str = DEMO_POS_ID) -> Session:
        response = self.login(phone, sim.current_otp(phone, pos_id), pos_id)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        accounts = {a["account_currency"]: a for a in data["accounts"]}
        return Session(phone, data["token_id"], data["operation_id"], accounts)

    def deposit(self, s: Session, amount: str, currency: str, body: bytes = b"", **kw: Any) -> httpx.Response:
        return self.call("POST", f"/v1/pos/deposit/{amount}/{currency}", s.headers, body, **kw)

    def withdraw(self, s: Session, account_id: str, amount: str, **kw: Any) -> httpx.Response:
        return self.call("POST", f"/v1/pos/withdraw/{account_id}/{amount}", s.headers, **kw)

    def reversal(self, s: Session, account_id: str, amount: str, transaction_id: str | None, **kw: Any) -> httpx.Response:
        headers = dict(s.headers)
        if transaction_id is not None:
            headers["transaction_id"] = transaction_id
        return self.call("POST", f"/v1/pos/reversal/{account_id}/{amount}", headers, **kw)

    def logout(self, s: Session, **kw: Any) -> httpx.Response:
        return self.call("POST", "/v1/pos/logout", s.headers, **kw)


def error_code(response: httpx.Response) -> str:
    status = response.json()["status"]
    assert status["status"] == "ERROR", response.text
    return status["error_code"]


def ok_data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    status = response.json()["status"]
    assert status["status"] == "SUCCESS", response.text
    return response.json().get("data", {})
