"""How the screens put words together: a message and what to do next read as two sentences
("At most 2 decimal places. Type the amount again."), never run together without a stop."""

from __future__ import annotations

_ENDS = ".!?:…)\"'"


def sentence(text: str) -> str:
    """`text` as a sentence: trimmed, starting with a capital, ending with a full stop."""
    text = " ".join(str(text).split())
    if not text:
        return ""
    if text[0].islower():
        text = text[0].upper() + text[1:]
    return text if text[-1] in _ENDS else f"{text}."


def sentences(*parts: str) -> str:
    """The parts joined as sentences; empty parts are left out."""
    return " ".join(s for s in (sentence(p) for p in parts) if s)


def what_to_do(error: object) -> str:
    """A TellerError (or anything with `message` and `next_step`) as the words on screen."""
    return sentences(getattr(error, "message", str(error)), getattr(error, "next_step", ""))
