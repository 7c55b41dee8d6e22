"""Builds the desks of the back ends enabled in settings (backends.enabled) and attaches them
to the teller, so that visits, recovery and the outbox can use them.

Each desk is built when it is first used (a `LazyDesk` stands in for it until then): a
client module with its answer models costs tens of milliseconds to import, and a command
that serves a Rapyd visit, like most starts of the kiosk, never touches the others."""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, Any, Callable

from kiosk.desks import base as journeys

if TYPE_CHECKING:
    from kiosk.settings import Settings
    from kiosk.teller.teller import Teller

def attach_desks(teller: Teller, settings: Settings) -> list[Callable[[], None]]:
    """Attach a desk per enabled back end (besides Rapyd, which is the teller's own); returns
    what closes them. A missing setting is a SettingsError naming it."""
    from kiosk.settings import BACKEND_NEEDS, enabled_backends, require

    closers: list[Callable[[], None]] = []
    for name in enabled_backends(settings):
        if name == "rapyd":
            continue
        require(settings, *BACKEND_NEEDS[name])
        desk = LazyDesk(name, partial(_build, name, teller, settings))
        journeys.attach(teller, desk)
        closers.append(desk.close)
    return closers


class LazyDesk:
    """Stands in for the desk of back end `backend_name` and builds it on the first use of
    anything but its prefix and name; then every attribute is the real desk's."""

    def __init__(self, backend_name: str, build: Callable[[], Any]) -> None:
        prefix = next(p for p, name in journeys.PREFIXES.items() if name == backend_name)
        self.__dict__.update(prefix=prefix, backend_name=backend_name, _build=build, _desk=None, _lock=threading.Lock())

    def _real(self) -> Any:
        with self._lock:  # the status worker and a visit may reach it at once
            if self._desk is None:
                self.__dict__["_desk"] = self._build()  # not self._desk = ...: __setattr__ forwards
            return self._desk

    def __getattr__(self, name: str) -> Any:  # only for what this object does not hold
        return getattr(self._real(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._real(), name, value)

    def close(self) -> None:
        if self._desk is not None:  # never built: nothing to close
            self._desk.close()


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""


def _build(name: str, teller: Teller, settings: Settings) -> Any:
    # Every back end gets the same transport policy as Rapyd's: TLS always verified.
    from kiosk.backends.pinning import secure_transport

    if name == "pospointe":
        from kiosk.backends.pospointe import PosPointeClient
        from kiosk.desks.giftcards import GiftCardDesk

        s = settings.pospointe
        cards = PosPointeClient(
            s.base_url, s.user or "", _secret(s.password), store_id=s.store_id or "", franchisee_id=s.franchisee_id or "",
            currency=s.currency, timeout=s.timeout, connect_timeout=s.connect_timeout,
            transport=secure_transport(s.base_url),
        )
        return GiftCardDesk(teller, cards, confirm_after=s.settle_confirm_after)
    if name == "flexiti":
        from kiosk.backends.flexiti import FlexitiClient
        from kiosk.desks.flexiti import FlexitiDesk

        f = settings.flexiti
        lender = FlexitiClient(
            f.base_url, f.client_id or "", _secret(f.client_secret), timeout=f.timeout, connect_timeout=f.connect_timeout,
            refresh_margin=f.refresh_margin, location_id=f.location_id or None, employee_id=f.employee_id or None,
            transport=secure_transport(f.base_url),
        )
        return FlexitiDesk(teller, lender, formats=list(f.verify_formats))
    if name == "sdkfinance":
        from kiosk.backends.sdkfinance import SdkFinanceClient
        from kiosk.desks.sdkwallet import SdkWalletDesk

        k = settings.sdkfinance
        wallet = SdkFinanceClient(
            k.base_url, timeout=k.timeout, connect_timeout=k.connect_timeout,
            cash_point_login=k.cash_point_login, cash_point_password=_secret(k.cash_point_password),
            coin_field=k.coin_field, transport=secure_transport(k.base_url),
        )
        return SdkWalletDesk(teller, wallet)
    raise ValueError(f"unknown back end {name!r}")
