"""What chameleonapi tells while serving: the user, each message once on its logger; and the
listeners of served calls (the pytest fixture, `chameleonapi run`, benchmarks).

A failure to analyse or customize never reaches the application: the generic model
answers and the reason is said here, once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from chameleonapi.artifacts import is_unwritable, warn_unwritable
from chameleonapi.errors import SettingsError
from chameleonapi.serving.callsites import CallSite
from chameleonapi.serving.engines import LabelScores

__all__ = ["ServedCall", "add_listener", "listening", "notify", "remove_listener", "report_failure", "say_once"]


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


@dataclass
class ServedCall:
    """One intercepted SDK call, as the pytest fixture and listeners see it."""

    provider: str
    method: str
    call_site: CallSite
    model: str
    labels: list[LabelScores] = field(default_factory=list)
    errors: list[str | None] = field(default_factory=list)
    n_images: int = 0


_listeners: list[Callable[[ServedCall], None]] = []


def add_listener(listener: Callable[[ServedCall], None]) -> None:
    _listeners.append(listener)


def remove_listener(listener: Callable[[ServedCall], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def listening() -> bool:
    """Is anyone listening? (Records are built only then: serving stays as fast without.)"""
    return bool(_listeners)


def notify(record: ServedCall) -> None:
    for listener in list(_listeners):
        listener(record)
