import logging

import pytest


@pytest.fixture(autouse=True)
def keep_logging(monkeypatch):
    """`kiosk` commands run in this process set up file logging; undo it after each test."""
    for name in ("", "httpx", "httpcore"):
        logger = logging.getLogger(name)
        monkeypatch.setattr(logger, "handlers", list(logger.handlers))
        monkeypatch.setattr(logger, "level", logger.level)
