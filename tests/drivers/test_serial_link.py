"""SerialLink and EscPosReplies on a bare pty peer: bounded waits, unplug, garbage, ASB."""

from __future__ import annotations

import os
import threading
import time
import tty

import pytest

from drivers.serial_link import EscPosReplies, LinkError, LinkLost, LinkTimeout, SerialLink


class Peer:
    """The far end of a pty: what a device would read and write."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)

    def read(self, n: int = 4096, timeout: float = 1.0) -> bytes:
        import select

        try:
            if not select.select([self.master], [], [], timeout)[0]:
                return b""
            return os.read(self.master, n)
        except (OSError, ValueError):
            return b""  # hung up by the test

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def hang_up(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def peer():
    p = Peer()
    yield p
    p.hang_up()


@pytest.fixture
def link(peer):
    link = SerialLink(peer.path, 115200, write_timeout=1.0)
    link.open()
    yield link
    link.close()


def test_bytes_go_both_ways(peer, link):
    link.write(b"\x1b@hello")
    assert peer.read() == b"\x1b@hello"
    peer.write(b"\x12")
    assert link.read(1.0) == b"\x12"


def test_a_read_with_nothing_to_read_returns_within_its_bound(link):
    start = time.monotonic()
    assert link.read(0.1) == b""
    assert 0.09 <= time.monotonic() - start < 0.3


def test_far_end_closing_is_link_lost_on_read(peer, link):
    peer.hang_up()  # what a USB serial adapter being pulled out looks like
    start = time.monotonic()
    with pytest.raises(LinkLost):
        link.read(0.5)
    assert time.monotonic() - start < 0.3  # noticed at once, not at the timeout
    assert not link.is_open


def test_far_end_closing_is_link_lost_on_write(peer, link):
    peer.hang_up()
    with pytest.raises(LinkLost):
        link.write(b"x")
    assert not link.is_open


def test_a_second_link_cannot_claim_the_port(peer, link):
    with pytest.raises(LinkError):
        SerialLink(peer.path).open()


def test_reopen_gives_up_within_its_bound(tmp_path):
    link = SerialLink(str(tmp_path / "no-such-port"))
    start = time.monotonic()
    assert link.reopen(0.3) is False
    assert time.monotonic() - start < 0.5


def test_reopen_finds_the_device_again_behind_a_stable_path(tmp_path):
    stable = tmp_path / "by-id-printer"
    first = Peer()
    stable.symlink_to(first.path)
    link = SerialLink(str(stable))
    link.open()
    first.hang_up()
    stable.unlink()
    with pytest.raises(LinkLost):
        link.read(0.5)
    second = Peer()
    threading.Timer(0.2, lambda: stable.symlink_to(second.path)).start()
    assert link.reopen(2.0) is True
    link.write(b"again")
    assert second.read() == b"again"
    link.close()
    second.hang_up()


def test_xoff_holds_writes_and_the_wait_is_bounded(peer):
    link = SerialLink(peer.path, 115200, flow_control="xonxoff", write_timeout=0.2)
    link.open()
    try:
        peer.write(b"\x13")  # XOFF
        time.sleep(0.05)
        start = time.monotonic()
        with pytest.raises(LinkTimeout):
            link.write(b"x" * 100_000, timeout=0.3)
        assert time.monotonic() - start < 0.6
        assert link.is_open  # held back is not gone
    finally:
        peer.write(b"\x11")
        link.close()


def test_wire_time_counts_ten_bits_a_byte_and_eleven_with_parity():
    assert SerialLink("/dev/null", 9600).wire_time(960) == pytest.approx(1.0)
    assert SerialLink("/dev/null", 9600, parity="even").wire_time(960) == pytest.approx(1.1)


@pytest.mark.parametrize("kw", [{"parity": "mark"}, {"flow_control": "both"}, {"baudrate": 0}])
def test_bad_settings_are_refused(kw):
    with pytest.raises(ValueError):
        SerialLink("/dev/null", **kw)


# --- telling replies apart -----------------------------------------------------------------------


def answer(peer: Peer, responses: list[bytes]) -> threading.Thread:
    """Reply to each status query (3 bytes per DLE EOT) with the next response."""

    def run() -> None:
        for response in responses:
            if not peer.read(timeout=2.0):
                return
            peer.write(response)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_replies_are_picked_out_of_garbage_xon_xoff_and_asb(peer, link):
    blocks: list[bytes] = []
    replies = EscPosReplies(link, on_asb=blocks.append)
    answer(peer, [b"\xff\x12\x11\x10\x00\x03\x00\x13\x16\x00\x1e"])
    assert replies.query([1, 2, 4], timeout=1.0) == [0x12, 0x16, 0x1E]
    assert blocks == [b"\x10\x00\x03\x00"]
    assert replies.garbage == 2 and replies.xon_xoff == 2


def test_garbage_then_silence_repeats_the_query(peer, link):
    replies = EscPosReplies(link)
    answer(peer, [b"\xff\xfe", b"\x12"])  # the first query was mangled on the way
    start = time.monotonic()
    assert replies.query([1], timeout=0.5) == [0x12]
    assert time.monotonic() - start < 0.5


def test_silence_is_none_after_one_bounded_wait(peer, link):
    replies = EscPosReplies(link)
    start = time.monotonic()
    assert replies.query([1, 2, 4], timeout=0.2) is None
    assert 0.2 <= time.monotonic() - start < 0.4


def test_only_garbage_gives_up_after_the_bounded_attempts(peer, link):
    replies = EscPosReplies(link)
    answer(peer, [b"\xff"] * 5)
    start = time.monotonic()
    assert replies.query([1], timeout=0.3, attempts=3) is None
    assert time.monotonic() - start < 1.0


def test_stale_replies_are_not_taken_for_new_ones(peer, link):
    replies = EscPosReplies(link)
    peer.write(b"\x1a")  # an old answer: drawer pin high
    time.sleep(0.05)
    answer(peer, [b"\x12"])
    assert replies.query([1], timeout=0.5) == [0x12]


def test_a_broken_asb_block_is_dropped_and_the_next_byte_still_counts(peer, link):
    blocks: list[bytes] = []
    replies = EscPosReplies(link, on_asb=blocks.append)
    answer(peer, [b"\x10\x00\x12"])  # ASB head, one body byte, then a reply
    assert replies.query([1], timeout=0.5) == [0x12]
    assert blocks == []


# --- DSR/DTR handshake, on a port double (a pty has no modem lines) -------------------------


class FakePort:
    def __init__(self, dsr_after: float | None) -> None:
        self.written = bytearray()
        self.write_timeout = None
        self.timeout = 0
        self._ready_at = None if dsr_after is None else time.monotonic() + dsr_after
        self.out_waiting = 0

    @property
    def dsr(self) -> bool:
        return self._ready_at is not None and time.monotonic() >= self._ready_at

    def write(self, data: bytes) -> int:
        assert self.dsr, "wrote while the printer said busy"
        self.written += data
        return len(data)

    def close(self) -> None:
        pass


def test_dsrdtr_waits_for_dsr_before_writing():
    port = FakePort(dsr_after=0.1)
    link = SerialLink("fake", flow_control="dsrdtr", serial_factory=lambda **kw: port)
    link.open()
    start = time.monotonic()
    link.write(b"x" * 300, timeout=1.0)
    assert time.monotonic() - start >= 0.09 and port.written == b"x" * 300


def test_dsrdtr_busy_forever_is_a_bounded_timeout():
    link = SerialLink("fake", flow_control="dsrdtr", serial_factory=lambda **kw: FakePort(dsr_after=None))
    link.open()
    start = time.monotonic()
    with pytest.raises(LinkTimeout):
        link.write(b"x", timeout=0.2)
    assert time.monotonic() - start < 0.4


def test_dsrdtr_on_a_port_without_modem_lines_falls_back_to_plain_writes(peer):
    link = SerialLink(peer.path, flow_control="dsrdtr")
    link.open()
    link.write(b"ok")
    assert peer.read() == b"ok"
    link.close()
