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

_PLUGINS_OFF = ("__all__", "1", "true")  # the values pydantic's loader reads as "none at all"


def _without_plugin_lookup() -> None:
    """With plugins switched off, pydantic's plugin loader still imports importlib.metadata
    (with email, zipfile and csv) at the first model it builds, only to return no plugin:
    about 10 ms of every command's start and 1.3 MiB of the kiosk's memory (bench `cold`).
    A stand-in answers "none" while the switch says so, as pydantic's own loader does, and
    hands over to that loader the moment the switch says otherwise."""
    name = "pydantic.plugin._loader"
    if "pydantic" in _sys.modules or name in _sys.modules:
        return
    stand_in = _types.ModuleType(name, "pydantic's plugin loader, while plugins are off (kiosk/__init__.py).")

    def get_plugins() -> tuple[object, ...]:
        if _os.environ.get("PYDANTIC_DISABLE_PLUGINS") in _PLUGINS_OFF:
            return ()
        if _sys.modules.get(name) is stand_in:
            del _sys.modules[name]
        from importlib import import_module

        return tuple(import_module(name).get_plugins())

    stand_in.get_plugins = get_plugins  # type: ignore[attr-defined]
    _sys.modules[name] = stand_in


if _os.environ["PYDANTIC_DISABLE_PLUGINS"] in _PLUGINS_OFF:
    _without_plugin_lookup()
