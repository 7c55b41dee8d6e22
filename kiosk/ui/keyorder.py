"""Keys applied in the order they arrived, each to the field that has the focus by then.

A card or barcode scanner, a paste or a busy till delivers many keys at once. Textual hands
each key to the focused widget's own queue straight away, but what a key does to the focus
happens later: Tab moves it only when the key has bubbled up to the screen's binding, and a
field's Enter moves it when the screen has handled Input.Submitted and `focus()` has gone
round the app's queue. Keys behind it were by then already queued on the old field, so
'7012340000001019<Tab>7310' ended as one number '70123400000010197310' and an empty code.

So the app lets one key (or paste) out at a time, for every screen and in one place: the next
goes out only when a marker sent behind the key (a Callback, so a public call_later) has
walked from the field up to the app, waiting at each step until that widget's queue is
empty. A key's bindings run only when the key has bubbled up to the app (Input's Enter posts
Input.Submitted to the field then), so the marker walks again from the field until a walk
finds nothing left to wait for: whatever the key caused (Input.Submitted, a `focus()` sent to
the app's queue) is handled by then. A character the focused field takes itself moves no
focus and needs no marker: the next key follows it at once. A normal typist never waits on
this; a lost marker holds keys back for SETTLE_LIMIT at most."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.message_pump import MessagePump
from textual.widget import Widget
from textual.widgets import Input

# Longer than any key's own work on a loaded till; if the marker has not come back by then
# (its widget was removed with it still queued), the next key goes anyway.
SETTLE_LIMIT = 5.0
# A widget whose queue never empties (a timer each tick) is left after this many waits, and
# a key whose effects go on and on gets this many walks.
MAX_WAITS = 50
MAX_WALKS = 4


@dataclass
class _Marker:
    number: int  # the key's
    start: Widget | None  # the widget the key went to
    walks: int = 1
    waited: bool = False  # this walk found something to wait for


def _stays_in(target: Widget, event: events.Key | events.Paste) -> bool:
    """A character or a paste that the focused field takes itself: it moves no focus and
    bubbles nowhere, so the next key may follow it at once (a stripe's 80 characters do not
    wait on each other; only its Enter does)."""
    if not isinstance(target, Input):
        return False
    if isinstance(event, events.Paste):
        return True
    return event.is_printable and target.check_consume_key(event.key, event.character)


class InOrderKeys(App):
    """Mixed into the kiosk app (before textual.App) so every screen gets keys in order."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._held_keys: deque[events.Key | events.Paste] = deque()
        self._key_out = 0  # the number of the key that is out; 0: none, so a new key goes straight out
        self._keys_let_out = 0

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            self._held_keys.append(event)
            if not self._key_out:
                await self._let_next_key_out()
            return
        await super().on_event(event)

    async def _let_next_key_out(self) -> None:
        while self._held_keys:
            event = self._held_keys.popleft()
            target = self.focused or self.screen
            await super().on_event(event)  # Textual's own routing: priority bindings, then the focus
            if _stays_in(target, event):
                continue  # queued on that field behind the keys before it: nothing to wait for
            self._keys_let_out += 1
            number = self._key_out = self._keys_let_out
            self.set_timer(SETTLE_LIMIT, lambda: self._settled(number))
            self._follow(target, _Marker(number, target), 0)
            return
        self._key_out = 0

    def _follow(self, pump: MessagePump, marker: _Marker, waits: int) -> None:
        """The marker's step at `pump`: wait behind its queue, then go up to its parent."""
        if marker.number != self._key_out:
            return  # that key was let go by the timer already
        if pump is self:
            start = marker.start
            if marker.waited and marker.walks < MAX_WALKS and start is not None and start.is_attached:
                marker.walks, marker.waited = marker.walks + 1, False
                self._send(start, marker, 0)  # again: what the key's bindings did at the app
            else:
                self._settled(marker.number)
            return
        if pump.message_queue_size and waits < MAX_WAITS:
            marker.waited = True
            self._send(pump, marker, waits + 1)
        else:
            parent = pump.parent if isinstance(pump, DOMNode) else None
            self._send(parent or self, marker, 0)

    def _send(self, pump: MessagePump, marker: _Marker, waits: int) -> None:
        if not pump.call_later(self._follow, pump, marker, waits):  # closed meanwhile (screen switched)
            self.call_later(self._follow, self, marker, 0)

    def _settled(self, number: int) -> None:
        if number == self._key_out:
            self._key_out = -number  # not 0: the next key goes out through the app's queue
            self.call_later(self._let_next_key_out)
