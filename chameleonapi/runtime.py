"""Per-call serving: find the application's call site, pick its engine, record what was served.

The first call from a call site decides which model answers it (a model customized to the
decision found at that site, or the generic model); later calls reuse that choice.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chameleonapi.engine import Engine, LabelScores

logger = logging.getLogger("chameleonapi")

# Frames from these packages are the SDK's or ours, never the application's.
_LIBRARY_PREFIXES = (
    "chameleonapi.providers", "chameleonapi.runtime", "chameleonapi.engine", "chameleonapi.detection", "wrapt",
    "google.cloud", "google.api_core", "google.auth", "grpc", "proto", "azure.", "msrest",
    "boto3", "botocore", "s3transfer",
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
# The call site that submitted the work now running in an executor thread (a fallback used
# only when the worker's own stack holds no application frame: `pool.submit(client.method)`).
# Thread-local, not a context variable: `asyncio.to_thread` runs the work in a context
# copied before the submission.
_submitted = threading.local()
NO_FRAME = "<no application frame>"


@contextlib.contextmanager
def pinned_call_site(site: CallSite):
    """Serve work done off the caller's stack (async clients' worker threads) as `site`."""
    token = _pinned_site.set(site)
    try:
        yield site
    finally:
        _pinned_site.reset(token)


def _is_library(frame) -> bool:
    module = frame.f_globals.get("__name__", "")
    return module.startswith(_LIBRARY_PREFIXES) or module == "chameleonapi.images"


def _app_frame_site(frame) -> CallSite | None:
    while frame is not None:
        if not _is_library(frame):
            code = frame.f_code
            filename = code.co_filename
            real = filename if _has_source(filename) else None
            return CallSite(real, frame.f_lineno, code.co_name)
        frame = frame.f_back
    return None


def find_call_site(frame=None) -> CallSite:
    """Walk out of SDK, wrapt and chameleonapi frames to the application's frame.

    Work run by an executor (`pool.submit(client.label_detection, ...)`, `pool.map`,
    `loop.run_in_executor`, `asyncio.to_thread`) has no application frame on its own stack:
    it is attributed to the frame that submitted it.
    """
    pinned = _pinned_site.get()
    if pinned is not None:
        return pinned
    site = _app_frame_site(frame or sys._getframe(1))
    if site is None:
        site = getattr(_submitted, "site", None)
    return site if site is not None else CallSite(None, 0, NO_FRAME)


# ------------------------------------------------------------------ executors
_executor_lock = threading.Lock()
_executor_original: list[Callable] = []  # the submit we wrap (kept: a call may be inside ours)
_executor_active = threading.Event()


def _run_submitted(site: CallSite, fn: Callable, /, *args, **kwargs):
    previous = getattr(_submitted, "site", None)
    _submitted.site = site
    try:
        return fn(*args, **kwargs)
    finally:
        _submitted.site = previous


def _submit(self, fn, /, *args, **kwargs):
    """`ThreadPoolExecutor.submit` that remembers the submitting application frame."""
    if _executor_active.is_set():
        site = _pinned_site.get() or _app_frame_site(sys._getframe(1)) or getattr(_submitted, "site", None)
        if site is not None:
            fn = functools.partial(_run_submitted, site, fn)
    return _executor_original[0](self, fn, *args, **kwargs)


def _thread_executor():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor


def hook_executors() -> None:
    """While enabled, executor threads know which application frame submitted their work."""
    with _executor_lock:
        cls = _thread_executor()
        if not _executor_original:
            _executor_original.append(cls.__dict__["submit"])
        if cls.__dict__.get("submit") is _executor_original[0]:
            cls.submit = _submit
        _executor_active.set()


def unhook_executors() -> None:
    """Put `ThreadPoolExecutor.submit` back (the very same function).

    If another tool has wrapped it since, ours stays inside that wrapper as a pass-through.
    """
    with _executor_lock:
        _executor_active.clear()
        cls = _thread_executor()
        if _executor_original and cls.__dict__.get("submit") is _submit:
            cls.submit = _executor_original[0]


class _Pending:
    """One call site's first resolution; concurrent first calls from that site wait on it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.owner = threading.get_ident()
        self.engine: Any = None
        self.error: BaseException | None = None


class SiteEngines:
    """Engines per call site, resolved once each without blocking other sites.

    The table's lock is held only to read or register an entry, never while a site is
    analysed or its model trained: calls from sites already served go straight to their
    engine, concurrent first calls from one site wait for a single resolution, and first
    calls from different sites resolve side by side.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engines: dict[Any, Any] = {}
        self._pending: dict[Any, _Pending] = {}

    def get(self, site: Any, resolve: Callable[[], Any], fallback: Callable[[], Any]) -> Any:
        engine = self._engines.get(site)
        if engine is not None:
            return engine
        with self._lock:
            engine = self._engines.get(site)
            if engine is not None:
                return engine
            pending = self._pending.get(site)
            owner = pending is None
            if owner:
                pending = self._pending[site] = _Pending()
        assert pending is not None
        if not owner:
            if pending.owner == threading.get_ident():
                return fallback()  # re-entered from the resolution itself
            pending.done.wait()
            if pending.error is not None:
                raise pending.error
            return pending.engine
        try:
            pending.engine = resolve()
        except BaseException as exc:
            pending.error = exc
            raise
        finally:
            with self._lock:
                if self._pending.get(site) is pending:
                    del self._pending[site]
                    if pending.error is None:
                        self._engines[site] = pending.engine
            pending.done.set()
        return pending.engine

    def clear(self) -> None:
        with self._lock:
            self._engines.clear()
            self._pending.clear()


def _has_source(filename: str) -> bool:
    """A file on disk, or code whose source Python keeps in `linecache` (an IPython cell)."""
    if not filename.startswith("<"):
        return True
    import linecache

    return bool(linecache.cache.get(filename))


class Resolver:
    """Chooses and caches the engine for each call site."""

    def __init__(self) -> None:
        self._generic_lock = threading.Lock()
        self._sites = SiteEngines()
        self._generic: Engine | None = None
        self.override: Engine | None = None

    def generic(self) -> Engine:
        with self._generic_lock:
            if self._generic is None:
                from chameleonapi.model.registry import shared_model

                self._generic = Engine(shared_model("generic"))
            return self._generic

    def engine_for(self, site: CallSite, provider: str) -> Engine:
        if self.override is not None:
            return self.override
        return self._sites.get(site, lambda: self._choose(site, provider), self.generic)

    def _choose(self, site: CallSite, provider: str) -> Engine:
        try:
            from chameleonapi.customize_runtime import customized_engine

            engine = customized_engine(site, provider)
        except ImportError:
            engine = None
        except Exception as exc:  # never let our failure reach the application
            report_failure(exc)
            engine = None
        return engine if engine is not None else self.generic()

    def reset(self) -> None:
        self._sites.clear()


def report_failure(exc: BaseException, what: str = "customization") -> None:
    """Say once why a model could not be customized; the generic one answers instead."""
    from chameleonapi import store
    from chameleonapi.errors import SettingsError

    if store.is_unwritable(exc):
        store.warn_unwritable(exc)
    elif isinstance(exc, SettingsError):
        _warn_once(f"{exc}; serving the generic model")
    else:
        _warn_once(f"{what} failed ({exc}); serving the generic model")


resolver = Resolver()
_listeners: list[Callable[[ServedCall], None]] = []
_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(message: str) -> None:
    with _warned_lock:
        if message in _warned:
            return
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
