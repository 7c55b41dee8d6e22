"""Every back-end simulator behind one HTTP server, each at its documented paths.

    sims = CompositeSimulator(Path("rapyd-sim.sqlite"))   # one ledger per simulator, side by side
    handle = start_in_thread(sims)                        # kiosk.sim.server; sims is the ASGI app
    sims.rapyd / sims.pospointe / sims.flexiti / sims.sdkfinance

A request goes to the simulator whose PATH_PREFIXES holds the longest prefix of its path, on a
path-segment boundary ("/v1/Token" is POSPointe's, "/v1/pos/echo" Rapyd's, "/v1/Tokens" no
one's); everything else goes to the Rapyd simulator, which owns /v1/pos and /_sim/ and answers
any path it does not know with its 401 UNAUTHORIZED_API_CALL, exactly as when it runs alone.

The ledgers: the configured file is Rapyd's; each other simulator keeps its books beside it,
named after it (rapyd-sim.sqlite -> rapyd-sim.pospointe.sqlite, ...). None: all in memory.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from starlette.types import Receive, Scope, Send

from kiosk.sim.bodylimit import MAX_BODY_BYTES

log = logging.getLogger("kiosk.sim.composite")
log.addHandler(logging.NullHandler())

#: The back ends in the order `kiosk sim info` lists them.
NAMES = ("rapyd", "pospointe", "sdkfinance", "flexiti")


def sibling_ledger(ledger: Path | None, name: str) -> Path | None:
    """The ledger file of simulator `name` beside Rapyd's `ledger` (None: in memory)."""
    if ledger is None:
        return None
    ledger = Path(ledger)
    return ledger.with_name(f"{ledger.stem}.{name}{ledger.suffix or '.sqlite'}")


def _prefix_matches(prefix: str, path: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


class CompositeSimulator:
    """An ASGI app dispatching by path prefix to the Rapyd, POSPointe, SDK.finance and Flexiti
    simulators. Keyword options go to the simulators that take them (otp_window: Rapyd's;
    latency, clock and max_body_bytes: all four's)."""

    def __init__(
        self,
        ledger_path: Path | None = None,
        *,
        otp_window: int = 30,
        latency: float = 0.0,
        clock: Callable[[], float] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        from kiosk.sim.flexiti import PATH_PREFIXES as FLEXITI_PREFIXES
        from kiosk.sim.flexiti import FlexitiSimulator
        from kiosk.sim.pospointe import PATH_PREFIXES as POSPOINTE_PREFIXES
        from kiosk.sim.pospointe import PosPointeSimulator
        from kiosk.sim.rapyd import RapydSimulator
        from kiosk.sim.sdkfinance import PATH_PREFIXES as SDKFINANCE_PREFIXES
        from kiosk.sim.sdkfinance import SdkFinanceSimulator

        timing: dict[str, Any] = {"latency": latency, "max_body_bytes": max_body_bytes}
        if clock is not None:
            timing["clock"] = clock
        self.ledger_path = Path(ledger_path) if ledger_path is not None else None
        opened: list[Any] = []
        try:
            self.rapyd = RapydSimulator(self.ledger_path, otp_window=otp_window, **timing)
            opened.append(self.rapyd)
            self.pospointe = PosPointeSimulator(sibling_ledger(self.ledger_path, "pospointe"), **timing)
            opened.append(self.pospointe)
            self.sdkfinance = SdkFinanceSimulator(sibling_ledger(self.ledger_path, "sdkfinance"), **timing)
            opened.append(self.sdkfinance)
            self.flexiti = FlexitiSimulator(sibling_ledger(self.ledger_path, "flexiti"), **timing)
            opened.append(self.flexiti)
        except BaseException:
            for sim in opened:
                sim.close()
            raise
        prefixes = [
            *((p, self.pospointe.app) for p in POSPOINTE_PREFIXES),
            *((p, self.sdkfinance.app) for p in SDKFINANCE_PREFIXES),
            *((p, self.flexiti.app) for p in FLEXITI_PREFIXES),
        ]
        # Longest first, so a more specific prefix always wins over a shorter one.
        self._routes: list[tuple[str, Any]] = sorted(prefixes, key=lambda item: len(item[0]), reverse=True)
        self._check_no_shadowing()

    def _check_no_shadowing(self) -> None:
        """Two simulators claiming the same prefix would make one unreachable: refuse."""
        seen: dict[str, Any] = {}
        for prefix, app in self._routes:
            if prefix in seen and seen[prefix] is not app:
                raise ValueError(f"two simulators claim the path prefix {prefix}")
            if _prefix_matches(prefix, "/v1/pos") or _prefix_matches("/v1/pos", prefix):
                raise ValueError(f"the prefix {prefix} would shadow Rapyd's /v1/pos")
            seen[prefix] = app

    @property
    def simulators(self) -> dict[str, Any]:
        return {"rapyd": self.rapyd, "pospointe": self.pospointe, "sdkfinance": self.sdkfinance, "flexiti": self.flexiti}

    def app_for(self, path: str) -> Any:
        """The simulator app that serves `path`."""
        for prefix, app in self._routes:
            if _prefix_matches(prefix, path):
                return app
        return self.rapyd.app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # the simulators keep no per-process resources
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.app_for(scope.get("path", "/"))(scope, receive, send)

    # The uvicorn helpers (kiosk.sim.server) serve `.app`, like a single simulator.
    @property
    def app(self) -> CompositeSimulator:
        return self

    def close(self) -> None:
        for sim in (self.flexiti, self.sdkfinance, self.pospointe, self.rapyd):
            try:
                sim.close()
            except Exception:  # closing down: close the others too
                log.exception("closing a simulator failed")


# Where each simulator's own description lives on a running composite server.
INFO_PATHS = {
    "rapyd": "/_sim/info",
    "pospointe": "/_sim/pospointe/info",
    "sdkfinance": "/_sim/sdkfinance/info",
    "flexiti": "/_sim/flexiti/info",
}


def summarize(url: str, infos: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`kiosk sim info`'s document from each simulator's /info answer: per back end its base
    URL (what the kiosk's settings take), demo credentials and demo customers."""
    url = url.rstrip("/")
    out: dict[str, Any] = {"url": url}
    rapyd = infos.get("rapyd")
    if rapyd is not None:
        out["rapyd"] = {
            "base_url": url,
            "credentials": {
                "access_key": rapyd.get("access_key"),
                "secret_key": rapyd.get("secret_key"),
                "pos_id": rapyd.get("default_pos_id"),
            },
            "otp_window": rapyd.get("otp_window"),
            "customers": [
                {"phone": c.get("phone"), "name": c.get("name"), "currencies": c.get("currencies", []),
                 "accounts": c.get("accounts", [])}
                for c in rapyd.get("customers", [])
            ],
            "how_to_get_a_code": f"kiosk sim otp --phone PHONE --url {url}",
        }
    pos = infos.get("pospointe")
    if pos is not None:
        out["pospointe"] = {
            "base_url": url + (pos.get("base_path") or ""),
            "credentials": {
                "user": pos.get("user"),
                "password": pos.get("password"),
                "store_id": pos.get("store_id"),
                "franchisee_id": pos.get("franchisee_id"),
            },
            "currency": pos.get("currency"),
            "customers": [
                {"card_number": c.get("number"), "security_code": c.get("security_code"),
                 "balance": c.get("balance"), "status": c.get("status"), "label": c.get("label", "")}
                for c in pos.get("cards", [])
            ],
        }
    sdk = infos.get("sdkfinance")
    if sdk is not None:
        out["sdkfinance"] = {
            "base_url": url + (sdk.get("base_path") or "/api/v1"),
            "credentials": _sdk_cash_point(sdk),
            "customers": [_sdk_customer(c) for c in sdk.get("customers", [])],
        }
    flex = infos.get("flexiti")
    if flex is not None:
        out["flexiti"] = {
            "base_url": url + (flex.get("base_path") or "/flexiti/pos-api/v2.5"),
            "credentials": {
                "client_id": flex.get("client_id"),
                "client_secret": flex.get("client_secret"),
                "location_id": (flex.get("external_location_ids") or [None])[0],
            },
            "currency": flex.get("currency"),
            "merchant_override_allowed": flex.get("merchant_override_allowed"),
            "customers": [
                {"account_number": c.get("account_number"), "name": c.get("name"),
                 "available_credit": c.get("available_credit"), "account_status": c.get("account_status"),
                 "security_question": (c.get("security_question") or {}).get("text"),
                 "security_answer": (c.get("security_question") or {}).get("answer"),
                 "licence_scan": c.get("licence_scan"), "note": c.get("note", "")}
                for c in flex.get("customers", [])
            ],
        }
    return out


def _sdk_cash_point(info: dict[str, Any]) -> dict[str, Any]:
    points = info.get("cash_points") or []
    point = points[0] if points and isinstance(points[0], dict) else info.get("cash_point") or {}
    return {"login": point.get("login"), "password": point.get("password")}


def _sdk_customer(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "login": c.get("login"),
        "password": c.get("password"),
        "name": c.get("name"),
        "otp_required": c.get("otp_required", c.get("otp", False)),
        "coins": [
            {"currency": coin.get("currency"), "amount": coin.get("amount"), "name": coin.get("name")}
            for coin in c.get("coins", [])
            if isinstance(coin, dict)
        ],
    }
