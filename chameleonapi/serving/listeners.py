"""Who is told what was served: the pytest fixture, `chameleonapi run`, benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chameleonapi.serving.callsites import CallSite
from chameleonapi.serving.engines import LabelScores

__all__ = ["ServedCall", "add_listener", "listening", "notify", "remove_listener"]


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
