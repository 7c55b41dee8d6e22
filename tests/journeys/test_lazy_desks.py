"""The other back ends' desks are built on first use (kiosk.teller.desks.LazyDesk): a Rapyd
visit never imports their clients, and once built the stand-in is the real desk in all but name."""

from __future__ import annotations

import threading

from kiosk.desks import base as journeys
from kiosk.teller.desks import LazyDesk


class FakeDesk:
    prefix, backend_name, title = "giftcard", "pospointe", "Gift card"

    def __init__(self) -> None:
        self.closed = 0
        self.client = "client"

    def health(self) -> str:
        return ""

    def close(self) -> None:
        self.closed += 1


def test_built_once_on_first_use_even_from_two_threads():
    built: list[FakeDesk] = []
    started = threading.Barrier(2)

    def build() -> FakeDesk:
        built.append(FakeDesk())
        return built[-1]

    desk = LazyDesk("pospointe", build)
    assert (desk.prefix, desk.backend_name) == ("giftcard", "pospointe") and built == []  # naming it builds nothing
    desk.close()  # never built: nothing to close, nothing built to close it
    assert built == []

    def use() -> None:
        started.wait()
        assert desk.health() == ""

    threads = [threading.Thread(target=use) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert not any(t.is_alive() for t in threads), "building the desk deadlocked"
    assert len(built) == 1 and desk.title == "Gift card"
    desk.client = "replaced"  # setting an attribute reaches the real desk, not the stand-in
    assert built[0].client == "replaced"
    desk.close()
    assert built[0].closed == 1


def test_runtime_attaches_stand_ins_that_serve_the_journeys(demo):
    desk = journeys.desk(demo.teller, "pospointe")
    assert isinstance(desk, LazyDesk) and desk.__dict__["_desk"] is None  # nothing used it yet
    assert journeys.health(demo.teller)["Gift card"] == ""  # the first use builds it; it answers
    assert desk.__dict__["_desk"] is not None and desk.backend_name == "pospointe"
