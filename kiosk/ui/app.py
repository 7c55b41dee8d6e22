"""The kiosk's full-screen app: one cashier, one visit at a time, keyboard only.

The app owns the journey. Screens show one step and post a request (kiosk.ui.messages); the
app runs the teller call in a thread worker *it* owns (a screen's workers die with the
screen, and a call that moves money must outlive any screen change), and the worker posts a
result that a handler here hands to the visit's flow (kiosk.ui.flows, one per back end,
the wallet's included), which decides the next screen. The UI does no domain work: every
check and every movement of money is the teller's.

No traceback reaches the screen: worker failures that are not a TellerError are logged and
shown as an error screen in plain words.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textual import events, on
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES

from kiosk import auth
from kiosk.journal.store import JournalError
from kiosk.desks import base as journeys
from kiosk.desks.rapyd import wallet_desk
from kiosk.teller import Stage, TellerError
from kiosk.teller.visit import journal_failure
from kiosk.ui import auth as auth_ui
from kiosk.ui import messages as m
from kiosk.ui import flows
from kiosk.ui.journey_messages import ChooseBackend, DeskAnswered, DeskFailed, FlowMessage, StartJourney
from kiosk.ui.keyorder import InOrderKeys
from kiosk.ui.screens.quit import QuitScreen
from kiosk.ui.screens.ready import ReadyScreen
from kiosk.ui.wording import what_to_do

# Only the ready screen is imported at start-up: every other screen, and each back end's
# flow, is imported where it is first shown (a few milliseconds, once), so that the first
# screen is drawn sooner and a till that never opens a shift screen never loads it.
if TYPE_CHECKING:
    from kiosk.money import AmountStyle
    from kiosk.ui.flows.base import Flow
    from kiosk.ui.flows.wallet import WalletFlow

log = logging.getLogger("kiosk.ui")

# Every colour is one of the terminal's own 16, so the Linux console (TERM=linux) shows
# exactly what was designed; cyan rather than blue as the main colour: dark blue on black
# is hard to read on a console.
KIOSK_THEME = dataclasses.replace(BUILTIN_THEMES["ansi-dark"], name="kiosk", primary="ansi_cyan", accent="ansi_bright_cyan")

# Steps whose failure may leave cash in an unknown place: the generic error says so.
MONEY_STEPS = {"move", "cash", "reverse", "complete"}


def guarded(handler):
    """An exception in an app handler would end the app's message loop (Textual exits with
    a traceback): log it and show plain words instead."""

    @functools.wraps(handler)
    def wrapper(self: KioskApp, message: Message) -> None:
        try:
            handler(self, message)
        except Exception:
            log.exception("handling %s failed", type(message).__name__)
            self.busy = ""
            self.post_message(m.UnexpectedFailure("ui", self.visit))

    return wrapper


def start_frame_clock(screen: Screen) -> None:
    """Start a new screen's frame clock while its widgets mount. Textual draws a screen's
    content on a tick of that screen's update timer (1/60 s), which it starts only once the
    mounted widgets ask for a layout: a whole frame after they mounted, every screen change.
    Started now, the first tick falls as they finish mounting: the step shows about a frame
    sooner (bench/bench_journey.py `screens`). Textual is pinned; tests/ui/test_app.py checks
    the timer is still there, and without it the screen is only drawn a frame later."""
    timer = getattr(screen, "_update_timer", None)
    if timer is not None and hasattr(timer, "resume"):
        timer.resume()


def _amount_style(settings: Any) -> AmountStyle:
    from kiosk.money import amount_style  # CLDR's data (babel): about 5 MiB, read at the first amount

    teller = getattr(settings, "teller", None)
    return amount_style(getattr(teller, "locale", "") or "", getattr(teller, "phone_region", "") or "")


class KioskApp(InOrderKeys, App[None], inherit_bindings=False):
    # Absolute: a relative CSS_PATH is resolved beside a subclass's module, not this one.
    CSS_PATH = Path(__file__).with_name("kiosk.tcss")
    TITLE = "Cash point"
    # The palette offers Quit and arbitrary commands: not on a till.
    ENABLE_COMMAND_PALETTE = False
    # No ctrl+q / ctrl+c: the only way out is F10, and it asks first.
    BINDINGS = [Binding("f10", "close_kiosk", "Close the kiosk", priority=True, show=False)]

    def __init__(
        self,
        runtime: Any,
        *,
        clock: Callable[[], float] = time.time,
        status_interval: float = 15.0,
        drawer_wait: float | None = None,
        first_screen_drawn: Callable[[], None] = lambda: None,
        opening: Callable[[], Any] | None = None,
        settings: Any = None,
    ) -> None:
        """`runtime`: the kiosk, built. Or None with `opening`, which builds it (opens and checks
        the journal, recovers: kiosk.runtime.build_runtime), and its `settings`: the first screen
        is drawn at once and says the journal is being opened, `opening` runs in a thread once it
        is, and no visit can start until it returns (RuntimeOpened). What it raises ends the app:
        `opened()` raises it again for kiosk.cli to report as it always has."""
        super().__init__()
        self.first_screen_drawn = first_screen_drawn  # the process's start-up is over (kiosk.cli)
        self.register_theme(KIOSK_THEME)
        self.theme = "kiosk"
        self.runtime = runtime
        self.teller: Any = None
        self.clock = clock  # screens read time through this, so tests can freeze it
        self.status_interval = status_interval
        settings = getattr(runtime, "settings", None) if runtime is not None else settings
        self.title = str(getattr(getattr(settings, "store", None), "name", "") or self.TITLE)
        rapyd = getattr(settings, "rapyd", None)
        self.host_timeout = float(getattr(rapyd, "timeout", 10.0))
        self.drawer_wait = drawer_wait or float(
            getattr(getattr(settings, "teller", None), "drawer_close_timeout", 120.0)
        )
        self.pos_id = str(getattr(rapyd, "pos_id", "") or "")
        self.otp_window = int(getattr(rapyd, "otp_window", 30) or 30)
        self.demo = None
        # The visit in flight, whatever its back end, and its back end's flow (kiosk.ui.flows),
        # which holds the rest of the journey's state.
        self.visit: Any = None
        self.flow: Flow | None = None
        self.busy = ""  # the teller step a worker is running now ('' when idle)
        self.status: m.StatusRead | None = None
        self._status_running = False
        self._opening = opening
        self._opened: Any = None  # what `opening` returned or raised
        self._opening_thread: threading.Thread | None = None
        self._left_screens: list[Screen] = []  # replaced by show(), removed once the next is drawn
        if runtime is not None:
            self._take(runtime)

    def _take(self, runtime: Any) -> None:
        self.runtime = runtime
        self.teller = runtime.teller
        self.pos_id = str(getattr(runtime, "pos_id", "") or "")
        self.otp_window = int(getattr(runtime, "otp_window", 30) or 30)
        self.demo = getattr(runtime, "demo", None)
        if hasattr(self.teller, "on_retry"):
            # Called in the worker thread before each re-send; post_message is thread-safe.
            def retrying(attempt: int, pause: float, error: Exception) -> None:
                attempts = int(getattr(getattr(self.teller, "retry", None), "attempts", 0) or 0)
                self.post_message(m.HostRetrying(attempt, attempts))

            self.teller.on_retry = retrying

    # --- start-up --------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.runtime is None:
            from kiosk.ui.screens.opening import OpeningScreen

            self.push_screen(OpeningScreen(self.title))
            # Now, not after the first paint: opening the journal waits on the disk (the GIL let
            # go) while the screen is drawn; measured, the ready screen comes about 100 ms sooner.
            self._open_runtime()
            return
        self.push_screen(self.first_screen())
        self.call_after_refresh(self.first_screen_drawn)
        self._serve()

    def _serve(self) -> None:
        auth_ui.install(self)  # with sign-in on: the sign-in gate over it, and the idle lock
        # After the first screen is drawn, not before: the demo's simulators start, and the
        # first status reading (which builds the other back ends' desks) competes with it
        # for the interpreter. The status panel says it is checking meanwhile.
        self.call_after_refresh(getattr(self.runtime, "start_simulators", lambda: None))
        self.call_after_refresh(self.refresh_status)
        self.set_interval(self.status_interval, self.refresh_status)

    def _open_runtime(self) -> None:
        """Build the runtime in a thread of its own (not a Textual worker: it must finish, and be
        closed by kiosk.cli, even if the kiosk is closed while it opens)."""
        opening = self._opening
        assert opening is not None

        def work() -> None:
            try:
                self._opened = opening()
            except BaseException as exc:  # reported by kiosk.cli, after the app ends
                self._opened = exc
                self.post_message(m.RuntimeFailed())
            else:
                self.post_message(m.RuntimeOpened())

        self._opening_thread = threading.Thread(target=work, name="kiosk-opening", daemon=True)
        self._opening_thread.start()

    def opened(self) -> Any:
        """After run(): the runtime `opening` built (the caller closes it), waiting for it if
        the kiosk was closed while it opened; raises what it raised. None without `opening`."""
        if self._opening_thread is not None:
            self._opening_thread.join()
        if isinstance(self._opened, BaseException):
            raise self._opened
        return self._opened

    @guarded
    def on_runtime_opened(self, message: m.RuntimeOpened) -> None:
        self._take(self._opened)
        self.show(self.first_screen())  # the opening screen's place (a close question open is withdrawn)
        self.call_after_refresh(self.first_screen_drawn)  # start-up is over once visits can start
        self._serve()

    def on_runtime_failed(self, message: m.RuntimeFailed) -> None:
        self.exit(return_code=1)

    @functools.cached_property
    def amount_style(self) -> AmountStyle:
        """The till's decimal separator and currency look (teller.locale), read when the first
        amount is typed or shown rather than at start-up."""
        return _amount_style(getattr(self.runtime, "settings", None))

    def money_bound(self) -> float:
        """How long a money call can take: the teller re-sends an unanswered call (same
        idempotency key) until its deadline, and a send started just before it may run a
        whole client timeout."""
        retry = getattr(self.teller, "retry", None)
        deadline = float(getattr(retry, "deadline", 0.0) or 0.0)
        return deadline + self.host_timeout if deadline else self.host_timeout * 3

    def first_screen(self) -> Screen:
        return self._broken_screen() or ReadyScreen(self.pos_id, self.status)

    def _broken_screen(self) -> Screen | None:
        """While the journal is untrusted, the till shows why instead of the ready screen."""
        journal = getattr(self.teller, "journal", None)
        if journal is None or not (journal.broken or journal.changed_behind_our_back()):
            return None
        from kiosk.ui.screens.journal_broken import JournalBrokenScreen

        return JournalBrokenScreen(journal.broken)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.last_activity = time.monotonic()  # for the idle lock (kiosk.ui.auth)
        await super().on_event(event)

    # --- the one place screens change ------------------------------------------------------

    def show(self, screen: Screen) -> None:
        """Replace the current step's screen (the stack stays two deep: base + step). A
        close-the-kiosk question still open is withdrawn: the journey moved on."""
        if auth_ui.hold(self, screen):
            return  # behind the sign-in gate: shown once someone signs in
        while isinstance(self.screen, QuitScreen):
            self.pop_screen()
        leaving = self.screen
        self._drop_left_screens(but=(leaving, screen))  # any other still kept: gone for good
        if leaving is not screen:
            if leaving not in self._left_screens and not self.is_screen_installed(leaving):
                # Textual removes a replaced screen (its widgets, timers, message loops) before
                # the new one's first frame settles: about 5 ms of every step change (bench
                # `screens`). Installed, it is only suspended, and removed once the new one is drawn.
                self.install_screen(leaving, name=f"kiosk-left-{id(leaving)}")
                self._left_screens.append(leaving)
            if leaving in self._left_screens:
                screen.call_after_refresh(self._drop_left_screens)
        self.switch_screen(screen)
        start_frame_clock(screen)

    def _drop_left_screens(self, but: tuple[Screen, ...] = ()) -> None:
        """Remove the screens show() replaced and kept until the next one was drawn (but those
        in `but`, and any shown again meanwhile)."""
        for left in list(self._left_screens):
            if left in but or left in self.screen_stack:
                continue
            self._left_screens.remove(left)
            self.uninstall_screen(left)
            left.remove()

    def show_ready(self) -> None:
        self.visit, self.flow = None, None
        self.show(self._broken_screen() or ReadyScreen(self.pos_id, self.status))
        self.refresh_status()

    # --- workers ---------------------------------------------------------------------------

    def run_teller(self, step: str, call: Callable[[], Message], *, busy: bool = True) -> None:
        """Run one teller call in a thread the app owns and post what it returns; a
        TellerError or any other exception becomes a failure message instead."""
        visit = self.visit
        if busy:
            self.busy = step

        def work() -> None:
            try:
                result: Message = call()
            except TellerError as exc:
                result = m.TellerFailed(step, exc, visit)
            except JournalError as exc:  # a full disk, a broken journal: said plainly
                result = m.TellerFailed(step, journal_failure(exc), visit)
            except Exception:
                log.exception("teller step %r failed unexpectedly", step)
                result = m.UnexpectedFailure(step, visit)
            self.post_message(result)

        self.run_worker(work, name=f"teller:{step}", group="teller", thread=True, exit_on_error=False)

    def run_desk(self, step: str, call: Callable[[], Any], then: Callable[[Any], None]) -> None:
        """A flow's desk call (kiosk.ui.flows) in a thread the app owns; `then(its answer)` runs
        on the UI thread (DeskAnswered), a failure becomes DeskFailed."""
        visit = self.visit
        self.busy = step

        def work() -> None:
            try:
                result: Message = DeskAnswered(step, call(), then)
            except TellerError as exc:
                result = DeskFailed(step, exc, visit)
            except JournalError as exc:  # a full disk, a broken journal: said plainly
                result = DeskFailed(step, journal_failure(exc), visit)
            except Exception:
                log.exception("desk step %r failed unexpectedly", step)
                result = DeskFailed(step, TellerError(
                    "INTERNAL", "Something went wrong inside the kiosk.",
                    "Do not move cash for this visit until a supervisor checked the journal."
                    if visit is not None and visit.stage not in (Stage.SESSION_OPEN, Stage.FAILED, Stage.CANCELLED)
                    else "Nothing moved. Try again."), visit)
            self.post_message(result)

        self.run_worker(work, name=f"desk:{step}", group="teller", thread=True, exit_on_error=False)

    def wait_for_drawer(self, visit: Any) -> None:
        """Wait (bounded) for the cashier to close the drawer, off the UI thread: DrawerClosed."""
        teller, bound = self.teller, self.drawer_wait

        def wait() -> Message:
            # A failed wait is "cannot tell", never an error screen: the money has moved
            # and the cashier finishes the cash step by hand.
            try:
                closed = teller.wait_for_drawer_close(visit, bound)
            except Exception:
                log.exception("waiting for the drawer failed")
                closed = None
            return m.DrawerClosed(visit, closed)

        self.run_teller("drawer", wait, busy=False)

    def refresh_status(self) -> None:
        """Read the back end, the devices and the drawer's cash, off the UI thread; only on
        the ready screen (no point polling the printer while a visit uses it)."""
        if self._status_running or not isinstance(self.screen, ReadyScreen):
            return
        self._status_running = True
        teller = self.teller
        wallet_enabled = "rapyd" in self.enabled_backends

        def work() -> None:
            problems: list[str] = []

            def read(what: str, call: Callable[[], Any], default: Any) -> Any:
                # One part failing (say, the drawer's cash with no shift open) must not
                # hide the others.
                try:
                    return call()
                except TellerError as exc:
                    problems.append(exc.message)
                except Exception:
                    log.exception("status reading failed: %s", what)
                    problems.append(f"The kiosk could not read the {what}.")
                return default

            # None: this till has no Rapyd wallet (backends.enabled), so there is nothing to ask.
            backend = read("wallet service", wallet_desk(teller).health, "") if wallet_enabled else None
            health = read("devices", teller.device_health, None)
            cash = read("cash in the drawer", lambda: [teller.cash_in_drawer(c) for c in teller.drawer_currencies()], [])
            others = read("other back ends", lambda: journeys.health(teller), {})
            # Between visits: send the compensations that are due (reversals, refunds, closes),
            # each to its own back end when that one answers: a Rapyd outage stalls no refund.
            answering = journeys.answering(teller, others, wallet=backend == "")
            read("outbox", lambda: teller.settle_outbox(answering), 0)
            attention = read("visits to resolve", teller.attention, None)
            result = m.StatusRead(backend, health, cash, problem=" ".join(problems), attention=attention, others=others)
            self.post_message(result)

        self.run_worker(work, name="status", group="status", thread=True, exit_on_error=False)

    # --- the other back ends' flows (kiosk.ui.flows) ----------------------------------------

    @property
    def enabled_backends(self) -> list[str]:
        return flows.enabled_backends(self)

    @guarded
    def on_choose_backend(self, message: ChooseBackend) -> None:
        if self.busy or self.visit is not None or self.flow is not None:
            return
        self.show(flows.chooser(self.enabled_backends))

    @guarded
    def on_start_journey(self, message: StartJourney) -> None:
        backend = message.backend
        if self.busy or self.visit is not None or self.flow is not None:
            return
        if backend not in self.enabled_backends:
            self.notify(f"{flows.TITLES.get(backend, backend)} is not enabled on this kiosk.", severity="warning")
            return
        if backend == "rapyd":
            self.post_message(m.StartVisit())
            return
        if self.no_shift():  # before the card, login or account is typed, let alone sent
            return
        self.flow = flows.new_flow(self, backend)
        self.flow.start()

    @on(FlowMessage)
    @guarded
    def on_flow_message(self, message: FlowMessage) -> None:
        if self.busy or self.flow is None:
            return
        self.flow.handle(message)

    @guarded
    def on_desk_answered(self, message: DeskAnswered) -> None:
        self.busy = ""
        message.then(message.value)

    @guarded
    def on_desk_failed(self, message: DeskFailed) -> None:
        self.busy = ""
        if message.step == "cancel":
            self.visit = None  # the desk journalled what it could; do not try the same cancel again
        if self.flow is not None:
            self.flow.failed(message.error)
        else:
            from kiosk.ui.screens.error import ErrorScreen, Way

            self.show(ErrorScreen(message.error, [Way("enter", "Back to ready", m.BackToReady)]))

    # --- ready -----------------------------------------------------------------------------

    @guarded
    def on_status_read(self, message: m.StatusRead) -> None:
        self._status_running = False
        self.status = message
        for screen in self.screen_stack:
            if isinstance(screen, ReadyScreen):
                screen.show_status(message)

    @guarded
    def on_refresh_status(self, message: m.RefreshStatus) -> None:
        self.refresh_status()

    @guarded
    def on_start_visit(self, message: m.StartVisit) -> None:
        if self.busy or self.visit is not None:
            return
        if "rapyd" not in self.enabled_backends:
            # No wallet at this till: Enter offers the back ends it does serve.
            self.post_message(ChooseBackend())
            return
        if self.no_shift():
            return
        from kiosk.ui.flows.wallet import WalletFlow

        self.flow = WalletFlow(self, wallet_desk(self.teller))
        self.flow.start()

    def no_shift(self) -> bool:
        """Checked when a visit starts, before the customer is asked for a code: with no shift
        open, say so now (and offer to open one) rather than after the code was typed."""
        try:
            self.teller.shifts.require_open()
        except TellerError as exc:
            from kiosk.ui.screens.error import ErrorScreen, Way

            self.show(ErrorScreen(exc, [Way("o", "Open the shift", m.ShowShift), Way("escape", "Back to ready", m.BackToReady)]))
            return True
        return False

    @guarded
    def on_reprint(self, message: m.Reprint) -> None:
        from kiosk.ui.screens.approve import approved_or_ask

        if self.busy:
            return
        visit = self.visit if (self.flow is None or self.wallet_flow()) and self.visit and self.visit.stage is Stage.COMPLETED else None
        last = visit or getattr(self.teller, "last_receipt_visit", None)
        if not approved_or_ask(self, auth.REPRINT, retry=m.Reprint, needed=last is not None):
            return
        self.run_teller("reprint", lambda: m.Reprinted(self.teller.reprint(visit).value), busy=False)

    @guarded
    def on_reprinted(self, message: m.Reprinted) -> None:
        from kiosk.ui.screens.receipt import ReceiptScreen

        printed = message.outcome == "printed"
        self.notify(
            "Receipt copy printed." if printed else "The copy did not print: check the printer, then try again.",
            severity="information" if printed else "warning",
        )
        if isinstance(self.screen, ReceiptScreen):
            self.screen.show_print(message.outcome, copy=True)

    # --- shift and supervision -------------------------------------------------------------

    @guarded
    def on_show_shift(self, message: m.ShowShift) -> None:
        if self.busy or self.visit is not None:
            return
        teller = self.teller

        def read() -> Message:
            if teller.shifts.current is None:
                return m.ShiftShown(None)
            return m.ShiftShown(teller.shift_report().lines())

        self.run_teller("shift", read, busy=False)

    @guarded
    def on_shift_shown(self, message: m.ShiftShown) -> None:
        from kiosk.ui.screens.shift import OpenShiftScreen, ShiftReportScreen

        # The count form's rows: the drawer's currencies, or at the open the configured float's.
        drawer = self.teller.drawer_currencies()
        floated = sorted(getattr(getattr(getattr(self.runtime, "settings", None), "teller", None), "opening_float", {}) or {})
        self.show(OpenShiftScreen(drawer or floated) if message.lines is None
                  else ShiftReportScreen(message.lines, closed=False, currencies=drawer or floated))

    @guarded
    def on_open_shift(self, message: m.OpenShift) -> None:
        from kiosk.teller.teller import counted

        teller, text = self.teller, message.counted

        def open_shift() -> Message:
            shift = teller.open_shift(counted(text))
            return m.Done("Shift opened with " + ", ".join(str(v) for v in shift.float.values()) + ".")

        self.run_teller("shift", open_shift, busy=False)

    @guarded
    def on_print_shift_report(self, message: m.PrintShiftReport) -> None:
        teller = self.teller
        self.run_teller("reprint", lambda: m.Reprinted(teller.print_report(teller.shift_report()).value), busy=False)

    @guarded
    def on_close_shift(self, message: m.CloseShift) -> None:
        from kiosk.teller.teller import counted
        from kiosk.ui.screens.approve import approved_or_ask

        teller, text, supervisor = self.teller, message.counted, message.supervisor or None
        if supervisor and not approved_or_ask(
            self, auth.VARIANCE, supervisor=supervisor, retry=lambda: m.CloseShift(text, message.supervisor)
        ):
            return  # with sign-in on, the named supervisor approves with their PIN first
        self.run_teller("shift", lambda: m.ShiftClosed(teller.close_shift(counted(text), supervisor=supervisor).lines()), busy=False)

    @guarded
    def on_shift_closed(self, message: m.ShiftClosed) -> None:
        from kiosk.ui.screens.shift import CloseShiftScreen, ShiftReportScreen

        while isinstance(self.screen, CloseShiftScreen):
            self.pop_screen()
        self.show(ShiftReportScreen(message.lines, closed=True))

    @guarded
    def on_show_supervisor(self, message: m.ShowSupervisor) -> None:
        if self.busy or self.visit is not None:
            return
        self.run_teller("supervisor", lambda: m.AttentionRead(self.teller.attention()), busy=False)

    @guarded
    def on_attention_read(self, message: m.AttentionRead) -> None:
        from kiosk.ui.screens.supervisor import SupervisorScreen

        self.show(SupervisorScreen(message.attention))

    @guarded
    def on_resolve_suspect(self, message: m.ResolveSuspect) -> None:
        from kiosk.ui.screens.approve import approved_or_ask

        teller = self.teller
        visit_id, cash_moved, supervisor = message.visit_id, message.cash_moved, message.supervisor
        if supervisor.strip() and not approved_or_ask(
            self, auth.RESOLVE, supervisor=supervisor, visit_id=visit_id,
            retry=lambda: m.ResolveSuspect(visit_id, cash_moved, supervisor),
        ):
            return  # with sign-in on, the named supervisor approves with their PIN first

        def resolve() -> Message:
            state = teller.resolve_suspect(visit_id, cash_moved=cash_moved, supervisor=supervisor)
            return m.Done(f"Visit {visit_id[:8]} resolved by {supervisor}: now {state}.")

        self.run_teller("resolve", resolve, busy=False)

    @guarded
    def on_reseal_journal(self, message: m.ResealJournal) -> None:
        teller = self.teller
        guard = getattr(teller, "guard", None)

        def reseal(supervisor: str) -> None:
            def work() -> Message:
                found = teller.reseal_journal(supervisor, "resealed at the till")
                return m.Done(f"Journal resealed by {supervisor}; on record: {found}")

            self.run_teller("reseal", work, busy=False)

        if guard is None:
            reseal(str(getattr(teller, "cashier", "") or "supervisor"))  # no sign-in on this till
            return
        from kiosk.ui.screens.approve import ask_approval

        ask_approval(self, auth.RESEAL, then=lambda supervisor: reseal(supervisor) if supervisor else None)

    @guarded
    def on_done(self, message: m.Done) -> None:
        self.notify(message.text)
        self.show_ready()

    # --- the wallet's journey (kiosk.ui.flows.wallet) --------------------------------------

    def wallet_flow(self, *, answer: bool = False) -> WalletFlow | None:
        """The wallet visit's flow, if that is the visit in flight. For the answer of a wallet
        call (`answer`), made if none is: a session opened or money moved is never dropped."""
        from kiosk.ui.flows.wallet import WalletFlow

        if self.flow is None and answer:
            self.flow = WalletFlow(self, wallet_desk(self.teller))
        return self.flow if isinstance(self.flow, WalletFlow) else None

    @guarded
    def on_back_to_customer(self, message: m.BackToCustomer) -> None:
        if (flow := self.wallet_flow()) is not None:
            flow.back_to_customer()

    @guarded
    def on_open_session(self, message: m.OpenSession) -> None:
        if not self.busy and (flow := self.wallet_flow()) is not None:
            flow.open_session(message.phone, message.otp)

    @guarded
    def on_session_opened(self, message: m.SessionOpened) -> None:
        self.busy = ""
        if (flow := self.wallet_flow(answer=True)) is not None:
            flow.session_opened(message.visit)

    @guarded
    def on_choose_action(self, message: m.ChooseAction) -> None:
        if (flow := self.wallet_flow()) is not None:
            flow.choose_action(message.kind, message.account_id, message.currency)

    @guarded
    def on_back_to_accounts(self, message: m.BackToAccounts) -> None:
        if (flow := self.wallet_flow()) is not None:
            flow.back_to_accounts()

    @guarded
    def on_amount_chosen(self, message: m.AmountChosen) -> None:
        if (flow := self.wallet_flow()) is not None:
            flow.amount_chosen(message.amount)

    @guarded
    def on_back_to_amount(self, message: m.BackToAmount) -> None:
        if (flow := self.wallet_flow()) is not None:
            flow.back_to_amount()

    @guarded
    def on_back_to_confirm(self, message: m.BackToConfirm) -> None:
        if (flow := self.wallet_flow()) is not None:
            flow.back_to_confirm()

    @guarded
    def on_move_money(self, message: m.MoveMoney) -> None:
        if not self.busy and (flow := self.wallet_flow()) is not None:
            flow.move()

    @guarded
    def on_money_moved(self, message: m.MoneyMoved) -> None:
        self.busy = ""
        if (flow := self.wallet_flow(answer=True)) is not None:
            flow.moved(message.visit)

    @guarded
    def on_drawer_closed(self, message: m.DrawerClosed) -> None:
        from kiosk.ui.screens.drawer import DrawerScreen

        screen = auth_ui.step_screen(self)  # the drawer screen, even behind an idle lock
        if not isinstance(screen, DrawerScreen) or screen.visit is not message.visit:
            return  # the cashier already finished by hand
        if message.closed:
            self.post_message(m.CashDone(by_hand=False))
        else:
            screen.wait_ended(message.closed)

    @guarded
    def on_cash_done(self, message: m.CashDone) -> None:
        visit = self.visit
        if self.busy or visit is None or visit.stage is not Stage.CASH_PENDING or self.flow is None:
            return
        self.flow.cash_done(message.by_hand)

    @guarded
    def on_visit_completed(self, message: m.VisitCompleted) -> None:
        self.busy = ""
        if (flow := self.wallet_flow(answer=True)) is not None:
            flow.completed(message.visit)

    @guarded
    def on_reverse_withdrawal(self, message: m.ReverseWithdrawal) -> None:
        if not self.busy and self.flow is not None:
            self.flow.reverse()

    @guarded
    def on_visit_reversed(self, message: m.VisitReversed) -> None:
        self.busy = ""
        if (flow := self.wallet_flow(answer=True)) is not None:
            flow.undone(message.visit)

    @guarded
    def on_host_retrying(self, message: m.HostRetrying) -> None:
        from kiosk.ui.screens.progress import ProgressScreen

        if isinstance(self.screen, ProgressScreen):
            self.screen.host_retrying(message.attempt, message.attempts)

    @guarded
    def on_stop_waiting(self, message: m.StopWaiting) -> None:
        if self.busy in ("move", "reverse") and hasattr(self.teller, "stop_waiting"):
            self.teller.stop_waiting()

    # --- leaving a visit -------------------------------------------------------------------

    @guarded
    def on_cancel_visit(self, message: m.CancelVisit) -> None:
        if self.busy:
            return
        if self.flow is None:
            self.show_ready()
            return
        self.flow.end()

    @guarded
    def on_visit_cancelled(self, message: m.VisitCancelled) -> None:
        self.busy = ""
        if (flow := self.wallet_flow()) is not None:
            flow.ended()
        else:
            self.show_ready()

    @guarded
    def on_back_to_ready(self, message: m.BackToReady) -> None:
        if self.busy:
            return
        if self.flow is None:
            self.show_ready()
            return
        self.flow.back_to_ready()

    # --- failures --------------------------------------------------------------------------

    @guarded
    def on_teller_failed(self, message: m.TellerFailed) -> None:
        self.busy = ""
        if message.step == "reprint":
            self.notify(what_to_do(message.error), severity="warning")
            return
        if message.step == "cancel":
            self.visit = None  # the teller journalled it; do not try the same cancel again
        if message.step in ("shift", "resolve", "supervisor"):
            # Nothing of a visit is open: say why where the cashier is, and stay there.
            text = what_to_do(message.error)
            if hasattr(self.screen, "show_problem"):
                self.screen.show_problem(text)
            else:
                self.notify(text, severity="warning", timeout=8)
            return
        from kiosk.ui.screens.error import ErrorScreen, ways_forward

        stage = message.visit.stage if message.visit else None
        if (flow := self.wallet_flow()) is not None:
            flow.code_problem = message.error if message.step == "open" else None
        self.show(ErrorScreen(message.error, ways_forward(message.step, message.error.code, stage)))

    def on_unexpected_failure(self, message: m.UnexpectedFailure) -> None:
        from kiosk.ui.screens.error import ErrorScreen, Way

        self.busy = ""
        if message.step == "reprint":
            self.notify("The copy could not be printed.", severity="warning")
            return
        stage = message.visit.stage if message.visit else None
        if message.step in ("move", "reverse"):
            error = TellerError(
                "INTERNAL",
                "Something went wrong inside the kiosk while the money was moving.",
                "Do not hand over or take cash for this visit. Every step is in the journal: ask a supervisor to check it.",
            )
        elif message.step in MONEY_STEPS or stage not in (None, Stage.SESSION_OPEN, Stage.FAILED, Stage.CANCELLED):
            error = TellerError(
                "INTERNAL",
                "Something went wrong inside the kiosk while finishing the visit.",
                "The money has moved. Ask a supervisor to check this visit in the journal before the next one.",
            )
        else:
            error = TellerError("INTERNAL", "Something went wrong inside the kiosk. No money moved.", "Try again.")
        # The kiosk does not guess: the journal and recovery settle the visit. Only a session
        # still open before money moved is kept, so that going back to ready closes it.
        if stage is not Stage.SESSION_OPEN or message.step == "cancel":
            self.visit = None
        self.show(ErrorScreen(error, [Way("enter", "Back to ready", m.BackToReady)]))

    # --- closing the kiosk -----------------------------------------------------------------

    def action_close_kiosk(self) -> None:
        self.post_message(m.CloseKiosk())

    @guarded
    def on_close_kiosk(self, message: m.CloseKiosk) -> None:
        if isinstance(self.screen, QuitScreen):
            return
        if auth_ui.gate_up(self) and self.visit is not None:
            self.notify("A visit is in progress: sign in first.", severity="warning")
            return
        if self.busy:
            self.notify("Wait: the kiosk is working on this visit.", severity="warning")
            return
        if self.visit is not None and self.visit.stage is Stage.CASH_PENDING:
            self.notify("Finish the cash step of this visit first.", severity="warning")
            return
        visit_open = self.visit is not None and self.visit.stage is Stage.SESSION_OPEN

        def answered(close: bool | None) -> None:
            if close:
                self.close_kiosk()

        self.push_screen(QuitScreen(visit_open=visit_open), answered)

    def close_kiosk(self) -> None:
        """Close the customer's session first (recovery would, but later), in a worker: the
        back end's logout may take a client timeout, and the UI thread does no I/O. Bounded:
        after that the kiosk closes anyway and recovery closes the session at the next start."""
        visit, flow = self.visit, self.flow
        if visit is None or visit.stage is not Stage.SESSION_OPEN:
            self.exit()
            return
        cancel = wallet_desk(self.teller).cancel if flow is None else flow.desk.cancel
        bound = self.host_timeout
        from kiosk.ui.screens.progress import ProgressScreen

        self.busy = "quit"
        self.show(ProgressScreen("Closing the customer's session, then the kiosk", bound=bound))

        def work() -> None:
            try:
                cancel(visit)
            except Exception:
                log.exception("cancel on exit failed")
            try:
                self.call_from_thread(self.exit)
            except RuntimeError:
                pass  # the bound ran out first: the app is already closing

        self.set_timer(bound + 1.0, self.exit)
        self.run_worker(work, name="quit", group="quit", thread=True, exclusive=True, exit_on_error=False)
