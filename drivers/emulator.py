"""A byte-level ESC/POS printer, with a cash drawer on its kick connector, on a pseudo-terminal.

The real driver opens `emulator.port` like any serial port; everything it sends is parsed
the way a TM-T88-class printer parses it, and everything it hears back is what such a
printer would say. It exists so that the driver, the kiosk and a demo can run end to end on
a machine with no hardware.

- Input is read at the configured baud rate (10 bits a byte), so wire time is real.
- Real-time commands (DLE EOT n, DLE DC4 1 m t, DLE ENQ n) act when they arrive, wherever
  they are, even inside image data: exactly the hazard the encoder guards against.
- Everything else is parsed in order: ESC @, ESC t, ESC E, ESC a, GS !, ESC d, ESC p,
  GS ( k (QR store/print), GS v 0 (raster), GS a (Automatic Status Back), GS V (cut), text
  in the selected code page. Unknown commands are skipped and counted in `unknown`.
- A receipt is rendered to text up to each cut: native QR as "[QR: payload]", raster
  images as "[raster image WxH]", alignment applied, lines wrapped where the paper ends.
- While offline (cover open, paper out, `offline`) the printer holds what it receives and
  prints it when it recovers; real-time commands are still answered.

Faults (the same names as drivers.simulated), via `inject(name)` / `clear(name)` /
`clear()`:

  paper_near_end, paper_out, cover_open, offline, cutter_error,
  paper_out_mid_receipt (inject(..., after_lines=N): the paper runs out N lines later),
  drawer_jammed (a kick does nothing), drawer_left_open (auto-close disabled),
  no_sensor (pin 3 stays low whatever the drawer does),
  slow (inject("slow", seconds=S): each status answer comes S seconds late),
  unplugged (the pty is closed, the stable path removed; clear() it or replug() to come
  back on a new pty at the same stable path).

Standalone: `python -m drivers.emulator --baud 9600 --link /tmp/kiosk-printer` prints the
port path, then each receipt as it is cut.
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import tempfile
import threading
import time
import tty
from dataclasses import dataclass, field
from typing import Callable, Generator, Iterable

from drivers import escpos
from drivers.profiles import get_profile

PRINTER_FAULTS = frozenset(
    {"paper_near_end", "paper_out", "paper_out_mid_receipt", "cover_open", "offline", "cutter_error", "slow", "unplugged"}
)
DRAWER_FAULTS = frozenset({"drawer_jammed", "drawer_left_open", "no_sensor"})
FAULTS = PRINTER_FAULTS | DRAWER_FAULTS

_CODE_PAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858"}


@dataclass
class _Line:
    chars: list[str] = field(default_factory=list)
    width: int = 1  # character width multiplier of the line's characters


class _Renderer:
    """The print head: turns characters and commands into lines of text on the 'paper'."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.lines: list[str] = []
        self.reset()

    def reset(self) -> None:
        self.align = 0
        self.bold = False
        self.width = 1
        self.codec = "cp437"
        self.line: list[str] = []
        self.line_width = 1

    def _room(self) -> int:
        return self.columns // max(1, self.width)

    def text(self, ch: str) -> int:
        """Put one character; returns lines printed (0 or 1, when the line was full)."""
        printed = 0
        if len(self.line) >= self._room():
            printed = self.newline()
        self.line.append(ch)
        self.line_width = self.width
        return printed

    def newline(self) -> int:
        room = self.columns // max(1, self.line_width)
        text = "".join(self.line).rstrip()
        if self.align == 1:
            text = text.center(room).rstrip()
        elif self.align == 2:
            text = text.rjust(room)
        self.lines.append(text)
        self.line = []
        self.line_width = self.width
        return 1

    def block(self, text: str) -> int:
        """An image or symbol on a line of its own."""
        printed = self.newline() if self.line else 0
        room = self.columns
        self.lines.append(text.center(room).rstrip() if self.align == 1 else text)
        return printed + 1

    def take_receipt(self) -> str:
        if self.line:
            self.newline()
        text = "\n".join(self.lines)
        self.lines = []
        return text


class PrinterEmulator:
    def __init__(
        self,
        baudrate: int = 9600,
        *,
        profile: str = "tm-t88v",
        link: str | None = None,
        drawer_sensor_open_level: str = "high",
        auto_close_after: float | None = None,
        on_receipt: Callable[[str], None] | None = None,
    ) -> None:
        self.baudrate = baudrate
        self.profile = get_profile(profile)
        self.drawer_sensor_open_level = drawer_sensor_open_level
        self.auto_close_after = auto_close_after
        self.on_receipt = on_receipt
        self._own_dir: str | None = None
        if link is None:
            self._own_dir = tempfile.mkdtemp(prefix="escpos-emulator-")
            link = os.path.join(self._own_dir, "printer")
        self.port = link  # the stable path (a symlink to the current pty)

        self.receipts: list[str] = []
        self.received = bytearray()  # every byte that reached the printer, for inspection
        self.kicks: list[tuple[int, str]] = []  # (pin, "ESC p" | "DLE DC4") per pulse seen
        self.unknown = 0  # commands skipped as unknown
        self.drawer_open = False

        self._faults: set[str] = set()
        self._lines_left: int | None = None  # paper left when paper_out_mid_receipt is armed
        self._slow = 0.0
        self._asb_mask = 0
        self._qr_data = b""
        self._lock = threading.RLock()
        self._renderer = _Renderer(self.profile.columns)
        self._parser = self._parse()
        next(self._parser)
        self._held = bytearray()  # received while offline, printed on recovery
        self._rt = self._realtime()
        next(self._rt)
        self._master: int | None = None
        self._slave: int | None = None
        self._wire_free_at = 0.0
        self._queued = False
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._outbox: list[tuple[float, bytes]] = []  # late answers of a slow printer
        self._outbox_ready = threading.Condition()
        self._sender: threading.Thread | None = None
        self._close_timer: threading.Timer | None = None

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> PrinterEmulator:
        self._plug()
        self._thread = threading.Thread(target=self._run, name="escpos-emulator", daemon=True)
        self._thread.start()
        self._sender = threading.Thread(target=self._send_late, name="escpos-emulator-answers", daemon=True)
        self._sender.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        os.write(self._wake_w, b"x")
        with self._outbox_ready:
            self._outbox_ready.notify()
        for thread in (self._thread, self._sender):
            if thread is not None:
                thread.join(timeout=2)
        if self._close_timer is not None:
            self._close_timer.cancel()
        self._unplug()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        if self._own_dir:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    def __enter__(self) -> PrinterEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        tmp = f"{self.port}.new"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        if os.path.lexists(self.port) and not os.path.islink(self.port):
            os.close(master)
            os.close(slave)
            raise FileExistsError(f"{self.port} exists and is not a symlink: not replacing it")
        os.symlink(os.ttyname(slave), tmp)
        os.replace(tmp, self.port)  # atomic: the path is never missing nor half-made
        with self._lock:
            self._master, self._slave = master, slave
            self._wire_free_at = 0.0
            self._queued = False
        os.write(self._wake_w, b"x")

    def _unplug(self) -> None:
        with self._lock:
            master, slave = self._master, self._slave
            self._master = self._slave = None
        # Closing both ends frees the pty: the driver's reads fail and its writes get EIO,
        # as when a USB serial adapter is pulled out. The by-id style link goes too.
        for fd in (master, slave):
            if fd is not None:
                os.close(fd)
        if os.path.islink(self.port):
            os.unlink(self.port)

    def unplug(self) -> None:
        self.inject("unplugged")

    def replug(self) -> None:
        self.clear("unplugged")

    @property
    def pty_path(self) -> str | None:
        with self._lock:
            return os.ttyname(self._slave) if self._slave is not None else None

    # --- faults and the drawer ------------------------------------------------------------------

    @property
    def faults(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._faults)

    def inject(self, fault: str, *, after_lines: int = 3, seconds: float = 0.5) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sorted(FAULTS))}")
        with self._lock:
            if fault in self._faults:
                return
            self._faults.add(fault)
            if fault == "paper_out_mid_receipt":
                self._lines_left = after_lines
            if fault == "slow":
                self._slow = seconds
        if fault == "unplugged":
            self._unplug()
        self._status_changed()

    def clear(self, fault: str | None = None) -> None:
        """Clear one fault, or all of them (None). Clearing paper_out reloads the paper."""
        with self._lock:
            names = set(self._faults) if fault is None else ({fault} & self._faults)
            self._faults -= names
            if "slow" in names:
                self._slow = 0.0
            if "paper_out_mid_receipt" in names or "paper_out" in names:
                self._faults.discard("paper_out_mid_receipt")
                self._faults.discard("paper_out")
                self._lines_left = None
        if "unplugged" in names:
            self._plug()
        self._status_changed()
        with self._lock:
            self._resume()

    def close_drawer(self) -> None:
        """Someone pushed the drawer shut."""
        with self._lock:
            changed = self.drawer_open
            self.drawer_open = False
        if changed:
            self._status_changed()

    def send_raw(self, data: bytes) -> None:
        """Bytes from the 'printer' to the host: garbage, XON / XOFF, for tests."""
        with self._lock:
            if self._master is not None:
                os.write(self._master, data)

    def _kick(self, pin: int, how: str) -> None:
        with self._lock:
            self.kicks.append((pin, how))
            if "drawer_jammed" in self._faults or self.drawer_open:
                return
            self.drawer_open = True
            if self.auto_close_after is not None and "drawer_left_open" not in self._faults:
                if self._close_timer is not None:
                    self._close_timer.cancel()
                self._close_timer = threading.Timer(self.auto_close_after, self.close_drawer)
                self._close_timer.daemon = True
                self._close_timer.start()
        self._status_changed()

    # --- status ----------------------------------------------------------------------------------

    def status(self) -> escpos.EscPosStatus:
        with self._lock:
            f = self._faults
            paper_out = "paper_out" in f
            pin_high = False
            if "no_sensor" not in f:
                pin_high = self.drawer_open == (self.drawer_sensor_open_level == "high")
            error = "cutter_error" in f
            return escpos.EscPosStatus(
                drawer_pin_high=pin_high,
                offline=self._offline(),
                waiting_online_recovery=False,
                feed_button=False,
                cover_open="cover_open" in f,
                feeding_by_button=False,
                paper_end_stop=paper_out,
                error=error,
                mechanical_error=False,
                cutter_error=error,
                unrecoverable_error=False,
                auto_recoverable_error=False,
                paper_near_end="paper_near_end" in f or paper_out,
                paper_out=paper_out,
            )

    def _offline(self) -> bool:
        return bool(self._faults & {"paper_out", "cover_open", "offline", "cutter_error"})

    def _status_changed(self) -> None:
        with self._lock:
            if self._asb_mask and self._master is not None:
                self._reply(escpos.encode_asb(self.status()))

    def _answer(self, data: bytes) -> None:
        """A status answer: at once, or `slow` seconds late (in order, without stalling input)."""
        # Called with self._lock held; the sender takes the locks in the same order.
        with self._outbox_ready:
            if not self._slow and not self._outbox:
                self._reply(data)
                return
            self._outbox.append((time.monotonic() + self._slow, data))
            self._outbox_ready.notify()

    def _send_late(self) -> None:
        while not self._stop.is_set():
            with self._outbox_ready:
                due = self._outbox[0][0] if self._outbox else None
                if due is None or due > time.monotonic():
                    self._outbox_ready.wait(0.5 if due is None else due - time.monotonic())
                    continue
            with self._lock, self._outbox_ready:
                if self._outbox and self._outbox[0][0] <= time.monotonic():
                    self._reply(self._outbox.pop(0)[1])

    def _reply(self, data: bytes) -> None:
        if self._master is not None:
            try:
                os.write(self._master, data)
            except OSError:
                pass  # the host side is gone; it will find out itself

    # --- the receiving loop --------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                master = self._master
            fds = [self._wake_r] + ([master] if master is not None else [])
            try:
                ready, _, _ = select.select(fds, [], [], 0.5)
            except (OSError, ValueError):
                continue  # the fd was closed by unplug() under us
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
            if master is None or master not in ready:
                continue
            # Read only what the wire could have carried in ~10 ms, then wait for its wire time.
            chunk = max(1, self.baudrate // 1000)
            try:
                data = os.read(master, chunk)
            except OSError:
                time.sleep(0.01)  # nobody has the port open (EIO on a pty master): wait
                continue
            if not data:
                continue
            now = time.monotonic()
            # Bytes that were already queued when the previous ones finished arriving followed
            # them back to back on the wire: count from when the line became free, so that our
            # own scheduling delays do not add up. Otherwise the line was idle until now.
            start = self._wire_free_at if self._queued else now
            arrival = start + len(data) * 10 / self.baudrate
            self._wire_free_at = arrival
            if arrival > now:
                time.sleep(arrival - now)
            try:
                self._queued = bool(select.select([master], [], [], 0)[0])
            except (OSError, ValueError):
                self._queued = False
            with self._lock:
                if self._master != master:
                    continue  # unplugged meanwhile: these bytes never arrived
                self.received += data
                for byte in data:
                    self._rt.send(byte)
                    if self._held or self._offline():
                        self._held.append(byte)
                    else:
                        self._parser.send(byte)

    def _resume(self) -> None:
        """Back online: print what was held, until done or offline again."""
        while self._held and not self._offline():
            byte = self._held.pop(0)
            self._parser.send(byte)

    # --- real-time commands ----------------------------------------------------------------------

    def _realtime(self) -> Generator[None, int, None]:
        """Acts on DLE EOT / DLE DC4 / DLE ENQ as bytes arrive, whatever surrounds them."""
        byte = yield
        while True:
            if byte != escpos.DLE:
                byte = yield
                continue
            byte = yield
            if byte == escpos.EOT:
                n = yield
                if 1 <= n <= 4:
                    self._answer(bytes([escpos.encode_status(self.status(), n)]))
                byte = yield
            elif byte == escpos.DC4:
                fn = yield
                if fn == 1:
                    m = yield
                    _t = yield
                    self._kick(2 if m == 0 else 5, "DLE DC4")
                byte = yield
            elif byte == escpos.ENQ:
                _n = yield
                byte = yield
            # else: look at this byte afresh (it may itself be a DLE)

    # --- the command parser ----------------------------------------------------------------------

    def _print_lines(self, count: int) -> None:
        """Paper used: arms paper_out when a mid-receipt paper end is due."""
        if self._lines_left is None or count <= 0:
            return
        self._lines_left -= count
        if self._lines_left <= 0:
            self._lines_left = None
            self._faults.add("paper_out")
            self._status_changed()

    def _parse(self) -> Generator[None, int, None]:
        r = self._renderer

        def take(n: int) -> Generator[None, int, bytes]:
            out = bytearray()
            for _ in range(n):
                out.append((yield))
            return bytes(out)

        while True:
            b = yield
            if b == 0x0A:  # LF
                self._print_lines(r.newline())
            elif b in (0x0D, 0x00):  # CR (auto line feed off), NUL
                pass
            elif b == 0x09:
                self._print_lines(r.text(" "))
            elif b == escpos.ESC:
                c = yield
                if c == ord("@"):
                    r.reset()
                elif c == ord("t"):
                    n = yield
                    r.codec = _CODE_PAGES.get(n, "cp437")
                elif c == ord("E"):
                    r.bold = bool((yield) & 1)
                elif c == ord("a"):
                    r.align = min(2, (yield) & 0x0F)  # 0/48 left, 1/49 centre, 2/50 right
                elif c == ord("d"):
                    n = yield
                    for _ in range(n):
                        self._print_lines(r.newline())
                elif c == ord("p"):
                    m, _t1, _t2 = yield from take(3)
                    self._kick(2 if m in (0, 48) else 5, "ESC p")
                elif c in (ord("!"), ord("-"), ord("M"), ord("G"), ord("3"), ord("J"), ord("R"), ord("{"), ord("V")):
                    yield  # one parameter byte we do not render
                elif c in (ord("2"),):
                    pass
                else:
                    self.unknown += 1
            elif b == escpos.GS:
                c = yield
                if c == ord("!"):
                    n = yield
                    r.width = (n >> 4) + 1
                elif c == ord("V"):
                    m = yield
                    if m in (65, 66, 97, 98, 103, 104):
                        yield  # feed amount
                    self._cut()
                elif c == ord("a"):
                    self._asb_mask = yield
                    self._status_changed()  # the printer answers a GS a with its status at once
                elif c == ord("v"):
                    head = yield from take(6)  # "0" m xL xH yL yH
                    width, height = head[2] | head[3] << 8, head[4] | head[5] << 8
                    yield from take(width * height)
                    self._print_lines(r.block(f"[raster image {width * 8}x{height}]"))
                elif c == ord("("):
                    kind = yield
                    low, high = yield from take(2)
                    body = yield from take(low | high << 8)
                    if kind == ord("k"):
                        self._qr(body)
                else:
                    self.unknown += 1
            elif b == escpos.DLE:
                c = yield  # real-time command, already acted on when it arrived: skip it
                if c == escpos.DC4:
                    fn = yield
                    yield from take(3 if fn in (1, 2) else 0)
                elif c in (escpos.EOT, escpos.ENQ):
                    yield
            elif b >= 0x20:
                ch = bytes([b]).decode(r.codec, errors="replace")
                self._print_lines(r.text(ch))
            else:
                self.unknown += 1

    def _qr(self, body: bytes) -> None:
        if len(body) < 2 or body[0] != 49:
            return  # other symbologies (cn != 49) are not rendered
        fn = body[1]
        if fn == 80:
            self._qr_data = body[3:]
        elif fn == 81:
            self._print_lines(self._renderer.block(f"[QR: {self._qr_data.decode('utf-8', 'replace')}]"))

    def _cut(self) -> None:
        text = self._renderer.take_receipt()
        self.receipts.append(text)
        if self.on_receipt is not None:
            self.on_receipt(text)

    @property
    def page(self) -> str:
        """What is on the paper since the last cut (e.g. a receipt interrupted by paper end)."""
        with self._lock:
            lines = list(self._renderer.lines)
            if self._renderer.line:
                lines.append("".join(self._renderer.line))
            return "\n".join(lines)

    def wait_for_receipts(self, count: int, timeout: float) -> bool:
        """For tests and demos: wait (bounded) until `count` receipts have been cut."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.receipts) >= count:
                return True
            time.sleep(0.01)
        return len(self.receipts) >= count


def main(argv: Iterable[str] | None = None, prog: str = "python -m drivers.emulator") -> int:
    parser = argparse.ArgumentParser(prog=prog, description="An ESC/POS printer with a cash drawer, on a pty.")
    parser.add_argument("--baud", type=int, default=9600, help="baud rate to pace the input at (default 9600)")
    parser.add_argument("--link", default=None, help="stable path to create as a symlink to the pty")
    parser.add_argument("--profile", default="tm-t88v", help="printer profile (columns of the paper)")
    parser.add_argument("--auto-close", type=float, default=3.0, help="seconds before the drawer closes itself (0: never)")
    args = parser.parse_args(list(argv) if argv is not None else None)

    def show(text: str) -> None:
        print(f"--- receipt ---\n{text}\n--- cut ---", flush=True)

    emulator = PrinterEmulator(
        args.baud, profile=args.profile, link=args.link, auto_close_after=args.auto_close or None, on_receipt=show
    )
    emulator.start()
    print(f"ESC/POS printer emulator on {emulator.port} ({emulator.pty_path}), {args.baud} baud; Ctrl-C to stop", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
