"""SerialDrawer against a small drawer on a pty (query/reply and no-sensor modes); the
modem-line modes against a port double, since a pty has no modem lines."""

from __future__ import annotations

import errno
import os
import select
import threading
import time
import tty

import pytest

from drivers.base import DrawerOutcome, EventName, PowerState
from drivers.drawer import SerialDrawer
from drivers.serial_link import SerialLink

QUERY, OPEN_REPLY, CLOSED_REPLY = b"\x1bs", b"O1", b"O0"


class PtyDrawer:
    """A standalone drawer: opens on BEL, answers ESC s with "O1" (open) or "O0" (closed)."""

    def __init__(self, *, answers: bool = True, garbage: bytes = b"", jammed: bool = False) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.is_open = False
        self.opened_at: float | None = None
        self.answers, self.garbage, self.jammed = answers, garbage, jammed
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        buf = b""
        while not self._stop:
            try:
                if not select.select([self.master], [], [], 0.05)[0]:
                    continue
                buf += os.read(self.master, 64)
            except OSError:
                return
            while buf:
                if buf.startswith(b"\x07"):
                    buf = buf[1:]
                    if not self.jammed:
                        self.is_open = True
                        self.opened_at = time.monotonic()
                elif buf.startswith(QUERY):
                    buf = buf[len(QUERY) :]
                    if self.answers:
                        os.write(self.master, self.garbage + (OPEN_REPLY if self.is_open else CLOSED_REPLY))
                elif len(buf) < len(QUERY) and QUERY.startswith(buf):
                    break
                else:
                    buf = buf[1:]

    def stop(self) -> None:
        if self._stop:
            return
        self._stop = True
        self._thread.join(timeout=1)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def pty_drawer():
    devices: list[PtyDrawer] = []

    def make(**kw) -> PtyDrawer:
        devices.append(PtyDrawer(**kw))
        return devices[-1]

    yield make
    for device in devices:
        device.stop()


def query_drawer(path: str, **kw) -> SerialDrawer:
    options = dict(
        baudrate=115200,
        sensor="query",
        status_query=QUERY,
        open_reply=OPEN_REPLY,
        closed_reply=CLOSED_REPLY,
        status_timeout=0.2,
        open_confirm_timeout=0.3,
        poll_interval=0.02,
    )
    options.update(kw)
    drawer = SerialDrawer(path, **options)
    drawer.open()
    return drawer


def test_query_sensor_confirms_open_and_close(pty_drawer):
    device = pty_drawer()
    drawer = query_drawer(device.path)
    events = []
    drawer.add_listener(events.append)
    assert drawer.check_health().open is False and drawer.check_health().power is PowerState.ONLINE
    assert drawer.open_drawer() is DrawerOutcome.OPENED
    threading.Timer(0.1, lambda: setattr(device, "is_open", False)).start()
    assert drawer.wait_for_drawer_close(2.0) is True
    assert [e.name for e in events] == [EventName.DRAWER_CLOSED, EventName.DRAWER_OPEN, EventName.DRAWER_CLOSED]
    drawer.close()


def test_query_sensor_left_open_alerts_and_returns_false(pty_drawer):
    device = pty_drawer()
    drawer = query_drawer(device.path)
    events = []
    drawer.add_listener(events.append)
    assert drawer.open_drawer() is DrawerOutcome.OPENED
    start = time.monotonic()
    assert drawer.wait_for_drawer_close(0.3) is False
    assert time.monotonic() - start < 0.7
    assert events[-1].name == EventName.DRAWER_LEFT_OPEN
    drawer.close()


def test_garbage_before_a_reply_is_skipped(pty_drawer):
    device = pty_drawer(garbage=b"\x00\xffO")
    drawer = query_drawer(device.path)
    assert drawer.check_health().open is False
    drawer.close()


def test_jammed_drawer_stays_shut_and_is_not_opened(pty_drawer):
    device = pty_drawer(jammed=True)
    drawer = query_drawer(device.path)
    assert drawer.open_drawer() is DrawerOutcome.NOT_OPENED
    drawer.close()


def test_a_drawer_that_does_not_answer_is_unconfirmed(pty_drawer):
    device = pty_drawer(answers=False)
    drawer = query_drawer(device.path)
    assert drawer.open_drawer() is DrawerOutcome.UNCONFIRMED
    assert device.is_open
    assert drawer.check_health().power is PowerState.OFF_OFFLINE
    drawer.close()


def test_no_sensor_sends_the_open_bytes_and_is_unconfirmed(pty_drawer):
    device = pty_drawer()
    drawer = SerialDrawer(device.path, 115200, open_bytes=b"\x07", sensor="none")
    drawer.open()
    assert drawer.open_drawer() is DrawerOutcome.UNCONFIRMED
    time.sleep(0.05)
    assert device.is_open
    assert drawer.wait_for_drawer_close(5.0) is None
    assert not drawer.has_sensor and drawer.check_health().open is None
    drawer.close()


def test_power_up_delay_is_waited_before_the_first_kick(pty_drawer):
    device = pty_drawer()
    drawer = SerialDrawer(device.path, 115200, sensor="none", power_up_delay=0.2)
    drawer.open()
    opened = time.monotonic()
    drawer.open_drawer()
    time.sleep(0.05)
    assert device.opened_at is not None and device.opened_at - opened >= 0.19
    drawer.close()


def test_kick_with_the_port_gone_is_not_opened(pty_drawer):
    device = pty_drawer()
    drawer = query_drawer(device.path, reconnect_timeout=0.2)
    device.stop()  # unplugged: the pty is gone
    assert drawer.open_drawer() is DrawerOutcome.NOT_OPENED
    start = time.monotonic()
    assert drawer.check_health().power is PowerState.OFF_OFFLINE  # reopen tried, bounded
    assert time.monotonic() - start < 0.5
    drawer.close()


@pytest.mark.parametrize(
    "kw",
    [
        {"sensor": "query"},  # no query bytes
        {"sensor": "query", "status_query": b"?", "open_reply": b"1", "closed_reply": b"1"},
        {"sensor": "beam"},
        {"open_bytes": b""},
    ],
)
def test_bad_drawer_settings_are_refused(kw):
    with pytest.raises(ValueError):
        SerialDrawer("/dev/null", **kw)


# --- modem-line sensors, on a port double ----------------------------------------------------


class ModemPort:
    def __init__(self, line: str, *, supported: bool = True) -> None:
        self.line, self.supported = line, supported
        self.level = False
        self.written = bytearray()
        self.write_timeout = None

    def __getattr__(self, name: str):
        if name in ("cts", "dsr", "ri", "cd"):
            if not self.supported:
                raise OSError(errno.ENOTTY, "Inappropriate ioctl for device")
            return self.level if name == self.line else False
        raise AttributeError(name)

    def write(self, data: bytes) -> int:
        self.written += data
        if data == b"\x07":
            self.level = True  # the drawer springs open: its switch asserts the line
        return len(data)

    def close(self) -> None:
        pass


def fake_link(port: ModemPort) -> SerialLink:
    return SerialLink("fake", serial_factory=lambda **kw: port)


@pytest.mark.parametrize("line", ["cts", "dsr", "ri", "cd"])
def test_modem_line_sensor(line):
    port = ModemPort(line)
    drawer = SerialDrawer("fake", sensor=line, open_confirm_timeout=0.2, poll_interval=0.01, link=fake_link(port))
    drawer.open()
    assert drawer.check_health().open is False
    assert drawer.open_drawer() is DrawerOutcome.OPENED
    port.level = False
    assert drawer.wait_for_drawer_close(0.5) is True


def test_modem_line_sensor_active_low():
    port = ModemPort("cts")
    port.level = True  # drawer shut holds CTS up on this model
    drawer = SerialDrawer("fake", sensor="cts", sensor_open_level="low", poll_interval=0.01, link=fake_link(port))
    drawer.open()
    assert drawer.check_health().open is False
    port.level = False
    assert drawer.check_health().open is True


def test_modem_line_on_a_port_without_lines_is_unknown_not_closed():
    port = ModemPort("cts", supported=False)
    drawer = SerialDrawer("fake", sensor="cts", open_confirm_timeout=0.1, poll_interval=0.01, link=fake_link(port))
    drawer.open()
    assert drawer.check_health().open is None
    assert drawer.open_drawer() is DrawerOutcome.UNCONFIRMED
