"""While enabled, thread-pool workers know which application frame submitted their work.

`ThreadPoolExecutor.submit` is wrapped (and put back, the very same function, on disable)
so that `pool.submit(client.label_detection, ...)`, `pool.map`, `loop.run_in_executor` and
`asyncio.to_thread` are served as the line that submitted them.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable

from chameleonapi.serving.callsites import app_frame_site, pinned_site, run_submitted, submitted_site

__all__ = ["hook_executors", "unhook_executors"]

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
