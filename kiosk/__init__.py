"""Cash-point kiosk (see README.md)."""

import os as _os
import sys as _sys
import types as _types


def _without_httpx_cli() -> None:
    """`import httpx` also imports httpx's own command-line client (click, rich, pygments:
    about 40 % of httpx's import time, and memory) whenever those are installed, and here
    they are (Textual brings rich, uvicorn click). The kiosk never runs that client, so a
    stand-in takes its place before httpx is first imported."""
    if "httpx" in _sys.modules or "httpx._main" in _sys.modules:
        return
    stand_in = _types.ModuleType("httpx._main", "Not loaded in the kiosk (kiosk/__init__.py).")

    def main(*args: object, **kwargs: object) -> None:
        raise SystemExit("httpx's command-line client is not loaded in the kiosk's processes.")

    stand_in.main = main  # type: ignore[attr-defined]
    _sys.modules["httpx._main"] = stand_in


_without_httpx_cli()


# No pydantic plugin runs in the kiosk's processes (pydantic's own switch, unless the operator
# set it): a plugin would see every value validated, the settings' secrets among them, and
# looking for plugins reads every installed package's metadata at the first model (about 4 ms
# of each command). The kiosk uses none.
_os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
