"""Which line of the application made an SDK call.

A call site is the first frame, walking out from the SDK call, that belongs to neither the
SDK, wrapt nor chameleonapi. Work done off the caller's stack is attributed explicitly: an
async client pins the site for its worker thread, and while enabled a thread pool's worker
knows the frame that submitted its work: `ThreadPoolExecutor.submit` is wrapped (and put
back, the very same function, on disable) so that `pool.submit(client.label_detection, ...)`,
`pool.map`, `loop.run_in_executor` and `asyncio.to_thread` are served as the line that
submitted them.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CallSite", "LIBRARY_PREFIXES", "NO_FRAME", "app_frame_site", "find_call_site", "hook_executors", "pinned_call_site", "pinned_site", "run_submitted", "submitted_site", "unhook_executors"]


# Frames from these packages are the SDK's or ours, never the application's.
LIBRARY_PREFIXES = (
    "chameleonapi.patches", "chameleonapi.services", "chameleonapi.serving", "chameleonapi.runtime", "chameleonapi.detection",
    "wrapt",
    "google.cloud", "google.api_core", "google.auth", "grpc", "proto", "azure.", "msrest",
    "boto3", "botocore", "s3transfer",
    "asyncio", "concurrent.futures", "threading", "functools", "contextlib",
)
NO_FRAME = "<no application frame>"


@dataclass(frozen=True)
class CallSite:
    """Where the application called the SDK (None for code without a source file)."""

    file: str | None
    line: int
    function: str
    # the calling frame's plain values, read by the first analysis and then released
    live: Any = field(default=None, compare=False, hash=False, repr=False)
    # files of the application frames further out (a helper's callers decide with its labels)
    outer: tuple[str, ...] = field(default=(), compare=False, hash=False, repr=False)


_pinned_site: contextvars.ContextVar[CallSite | None] = contextvars.ContextVar("chameleonapi_call_site", default=None)
# The call site that submitted the work now running in an executor thread (a fallback used
# only when the worker's own stack holds no application frame: `pool.submit(client.method)`).
# Thread-local, not a context variable: `asyncio.to_thread` runs the work in a context
# copied before the submission.
_submitted = threading.local()


@contextlib.contextmanager
def pinned_call_site(site: CallSite):
    """Serve work done off the caller's stack (async clients' worker threads) as `site`."""
    token = _pinned_site.set(site)
    try:
        yield site
    finally:
        _pinned_site.reset(token)
        if site.live is not None:
            site.live.release()


def pinned_site() -> CallSite | None:
    return _pinned_site.get()


def submitted_site() -> CallSite | None:
    """The site that submitted the executor work running in this thread, if any."""
    return getattr(_submitted, "site", None)


def run_submitted(site: CallSite, fn: Callable, /, *args, **kwargs):
    """Run `fn` in a worker thread as work submitted from `site`."""
    previous = getattr(_submitted, "site", None)
    _submitted.site = site
    try:
        return fn(*args, **kwargs)
    finally:
        _submitted.site = previous


def _has_source(filename: str) -> bool:
    """A file on disk, or code whose source Python keeps in `linecache` (an IPython cell)."""
    if not filename.startswith("<"):
        return True
    import linecache

    return bool(linecache.cache.get(filename))


def app_frame_site(frame, live: bool = True) -> CallSite | None:
    """The first application frame from `frame` outward, or None. With `live`, the site
    can read that frame's plain values until the call is served (`analysis.live`)."""
    while frame is not None:
        if not frame.f_globals.get("__name__", "").startswith(LIBRARY_PREFIXES):
            code = frame.f_code
            filename = code.co_filename
            real = filename if _has_source(filename) else None
            from chameleonapi.analysis.live import LiveScope

            scope = LiveScope(frame) if real and live else None
            return CallSite(real, frame.f_lineno, code.co_name, scope, _outer_files(frame.f_back, filename))
        frame = frame.f_back
    return None


def _outer_files(frame, own: str, limit: int = 4) -> tuple[str, ...]:
    """Other source files of the application on the stack (callers of a helper module)."""
    files: list[str] = []
    while frame is not None and len(files) < limit:
        name = frame.f_code.co_filename
        if (
            name != own
            and name not in files
            and not name.startswith("<")
            and not frame.f_globals.get("__name__", "").startswith(LIBRARY_PREFIXES)
        ):
            files.append(name)
        frame = frame.f_back
    return tuple(files)


def find_call_site(frame=None) -> CallSite:
    """Walk out of SDK, wrapt and chameleonapi frames to the application's frame.

    Work run by an executor (`pool.submit(client.label_detection, ...)`, `pool.map`,
    `loop.run_in_executor`, `asyncio.to_thread`) has no application frame on its own stack:
    it is attributed to the frame that submitted it.
    """
    pinned = _pinned_site.get()
    if pinned is not None:
        return pinned
    site = app_frame_site(frame or sys._getframe(1))
    if site is None:
        site = getattr(_submitted, "site", None)
    return site if site is not None else CallSite(None, 0, NO_FRAME)


_executor_lock = threading.Lock()
_executor_original: list[Callable] = []  # the submit we wrap (kept: a call may be inside ours)
_executor_active = threading.Event()


def _submit(self, fn, /, *args, **kwargs):
    """`ThreadPoolExecutor.submit` that remembers the submitting application frame."""
    if _executor_active.is_set():
        site = pinned_site() or app_frame_site(sys._getframe(1), live=False) or submitted_site()
        if site is not None:
            fn = functools.partial(run_submitted, site, fn)
    return _executor_original[0](self, fn, *args, **kwargs)


def _thread_executor():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor


def hook_executors() -> None:
    """Wrap `ThreadPoolExecutor.submit` (idempotent)."""
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
