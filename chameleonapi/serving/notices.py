"""What chameleonapi tells the user while serving: each message once, on its logger.

A failure to analyse or customize never reaches the application: the generic model
answers and the reason is said here, once.
"""

from __future__ import annotations

import logging
import threading

from chameleonapi.artifacts import is_unwritable, warn_unwritable
from chameleonapi.errors import SettingsError

__all__ = ["report_failure", "say_once"]

logger = logging.getLogger("chameleonapi")
_said: set[str] = set()
_said_lock = threading.Lock()


def say_once(message: str, level: int = logging.WARNING) -> None:
    """Log `message` the first time it is said in this process."""
    with _said_lock:
        if message in _said:
            return
        _said.add(message)
    logger.log(level, "%s", message)


def report_failure(exc: BaseException, what: str = "customization", generic: str = "generic model") -> None:
    """Say once why a model could not be customized; the generic one answers instead."""
    if is_unwritable(exc):
        warn_unwritable(exc)
    elif isinstance(exc, SettingsError):
        say_once(f"{exc}; serving the {generic}")
    else:
        say_once(f"{what} failed ({exc}); serving the {generic}")
