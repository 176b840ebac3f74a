"""Per-call serving: find the application's call site, pick its engine, record what was served.

The first call from a call site decides which model answers it (a model customized to the
decision found at that site, or the generic model); later calls reuse that choice.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from chameleonapi.engine import Engine, LabelScores

logger = logging.getLogger("chameleonapi")

# Frames from these packages are the SDK's or ours, never the application's.
_LIBRARY_PREFIXES = (
    "chameleonapi.providers", "chameleonapi.runtime", "chameleonapi.engine", "chameleonapi.detection", "wrapt",
    "google.cloud", "google.api_core", "google.auth", "grpc", "proto", "azure.", "msrest",
    "asyncio", "concurrent.futures", "threading", "functools", "contextlib",
)


@dataclass(frozen=True)
class CallSite:
    """Where the application called the SDK (None for code without a source file)."""

    file: str | None
    line: int
    function: str


@dataclass
class ServedCall:
    """One intercepted SDK call, as the pytest fixture and `chameleonapi.served()` see it."""

    provider: str
    method: str
    call_site: CallSite
    model: str
    labels: list[LabelScores] = field(default_factory=list)
    errors: list[str | None] = field(default_factory=list)
    n_images: int = 0


_pinned_site: contextvars.ContextVar[CallSite | None] = contextvars.ContextVar("chameleonapi_call_site", default=None)


@contextlib.contextmanager
def pinned_call_site(site: CallSite):
    """Serve work done off the caller's stack (async clients' worker threads) as `site`."""
    token = _pinned_site.set(site)
    try:
        yield site
    finally:
        _pinned_site.reset(token)


def find_call_site(frame=None) -> CallSite:
    """Walk out of SDK, wrapt and chameleonapi frames to the application's frame."""
    pinned = _pinned_site.get()
    if pinned is not None:
        return pinned
    frame = frame or sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not (module.startswith(_LIBRARY_PREFIXES) or module == "chameleonapi.images"):
            code = frame.f_code
            filename = code.co_filename
            real = filename if _has_source(filename) else None
            return CallSite(real, frame.f_lineno, code.co_name)
        frame = frame.f_back
    return CallSite(None, 0, "<unknown>")


def _has_source(filename: str) -> bool:
    """A file on disk, or code whose source Python keeps in `linecache` (an IPython cell)."""
    if not filename.startswith("<"):
        return True
    import linecache

    return bool(linecache.cache.get(filename))


class Resolver:
    """Chooses and caches the engine for each call site."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._engines: dict[CallSite, Engine] = {}
        self._generic: Engine | None = None
        self.override: Engine | None = None

    def generic(self) -> Engine:
        with self._lock:
            if self._generic is None:
                from chameleonapi.model.registry import shared_model

                self._generic = Engine(shared_model("generic"))
            return self._generic

    def engine_for(self, site: CallSite, provider: str) -> Engine:
        if self.override is not None:
            return self.override
        with self._lock:
            engine = self._engines.get(site)
            if engine is None:
                engine = self._choose(site, provider)
                self._engines[site] = engine
            return engine

    def _choose(self, site: CallSite, provider: str) -> Engine:
        try:
            from chameleonapi.customize_runtime import customized_engine

            engine = customized_engine(site, provider)
        except ImportError:
            engine = None
        except Exception as exc:  # never let our failure reach the application
            _warn_once(f"customization failed ({exc}); serving the generic model")
            engine = None
        return engine if engine is not None else self.generic()

    def reset(self) -> None:
        with self._lock:
            self._engines.clear()


resolver = Resolver()
_listeners: list[Callable[[ServedCall], None]] = []
_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        logger.warning("%s", message)


def add_listener(listener: Callable[[ServedCall], None]) -> None:
    _listeners.append(listener)


def remove_listener(listener: Callable[[ServedCall], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def serve_labels(
    images: Sequence, *, provider: str, method: str, max_results: Sequence[int | None] | int | None
) -> list[LabelScores]:
    """Labels for `images` from the engine that serves the calling application."""
    site = find_call_site()
    engine = resolver.engine_for(site, provider)
    limits = list(max_results) if isinstance(max_results, (list, tuple)) else [max_results] * len(images)
    widest = None if any(m is None for m in limits) else max(limits, default=None)
    ranked = engine.annotate(images, widest)
    results = [r if m is None else r[:m] for r, m in zip(ranked, limits)]
    if _listeners:
        record = ServedCall(provider, method, site, engine.name, results, [None] * len(results), len(images))
        for listener in list(_listeners):
            listener(record)
    return results


def serve_objects(images: Sequence, *, provider: str, method: str, max_results: int | None = None) -> list[list]:
    """Detected objects for `images` (`chameleonapi.detection.model.Detection`, score-ordered)
    from the detector that serves the calling application."""
    from chameleonapi.detection.service import object_resolver

    site = find_call_site()
    engine = object_resolver.engine_for(site, provider)
    results = engine.detect(list(images))
    if max_results:
        results = [r[:max_results] for r in results]
    if _listeners:
        labels = [[(d.name, d.score) for d in dets] for dets in results]
        record = ServedCall(provider, method, site, engine.name, labels, [None] * len(results), len(images))
        for listener in list(_listeners):
            listener(record)
    return results


def record_errors(provider: str, method: str, errors: list[str]) -> None:
    """Tell listeners about images refused before reaching a model."""
    if _listeners and errors:
        record = ServedCall(provider, method, find_call_site(), "none", [], list(errors), len(errors))
        for listener in list(_listeners):
            listener(record)
