"""Bounds on one analysis: a time budget, and astroid's memory given back afterwards.

The runtime analyses the calling module inside the application's process on its first
call, so a slow or heavy analysis is paid by the application. The walker and the constant
folder check the deadline as they go; when it passes, the specs found so far are returned
marked partial with the reason. astroid keeps every parsed module and lookups in global
caches; they are released after each analysis so the process's memory returns.
"""

from __future__ import annotations

import errno
import os
import time

from chameleonapi.errors import Error

DEFAULT_BUDGET_S = 1.0
BUDGET_ENV = "CHAMELEONAPI_ANALYSIS_BUDGET"
KEEP = frozenset({"builtins"})  # built once from the interpreter (0.2 s), the same for every app


class BudgetExceeded(Error):
    """The analysis ran past its time budget (caught inside the analysis, never raised out)."""


class TooLarge(Error, OSError):
    """A module is larger than the analysis reads (`CHAMELEONAPI_ANALYSIS_MAX_KB`)."""


def max_bytes() -> int:
    """The largest module the analysis reads and parses, in bytes."""
    from chameleonapi import config

    return config.analysis_max_bytes()


def too_large_message(size: int, limit: int) -> str:
    return (f"{size:,} bytes, more than the analysis reads ({limit // 1024:,} KB, "
            "CHAMELEONAPI_ANALYSIS_MAX_KB); not analysed")


def size_problem(path: os.PathLike | str) -> str | None:
    """Why the file at `path` is too large to analyse, or None (checked before it is read)."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return None
    limit = max_bytes()
    return too_large_message(size, limit) if size > limit else None


def read_capped(path: os.PathLike | str) -> bytes:
    """A file's bytes, at most `max_bytes()` of them read: a larger file raises `TooLarge`
    (parsing is what costs the application time and memory, and it grows with the size)."""
    limit = max_bytes()
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
        if len(data) > limit:
            size = max(len(data), os.fstat(fh.fileno()).st_size)
            raise TooLarge(errno.EFBIG, too_large_message(size, limit))
    return data


def budget_seconds(explicit: float | None = None) -> float:
    """keyword > the `analysis_budget` setting (CPU seconds; 0: unbounded; default 1 s)."""
    if explicit is not None:
        return float(explicit)
    from chameleonapi import config

    return config.get("analysis_budget")


class Deadline:
    """When the analysis must stop; `check()` raises `BudgetExceeded` after it.

    Counted in this thread's CPU time: what the analysis costs the application, the same
    on an idle machine and on a busy one (where wall time would cut it short at random)."""

    __slots__ = ("at", "seconds", "_ticks")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.thread_time() + seconds if seconds > 0 else float("inf")
        self._ticks = 0

    def check(self) -> None:
        self._ticks += 1
        if self._ticks % 32:  # reading the thread's CPU clock is a system call
            return
        if time.thread_time() > self.at:
            raise BudgetExceeded(f"the analysis stopped after its time budget of {self.seconds:g} s")


def astroid_modules() -> set[str]:
    """Names of the modules astroid holds now (taken before an analysis, see `release_astroid`)."""
    try:
        from astroid import MANAGER
    except ImportError:
        return set()
    return set(MANAGER.astroid_cache)


def release_astroid(before: set[str]) -> None:
    """Drop what astroid cached during one analysis: the modules it built since `before`
    (the application's, and any it imported to resolve a name) and its lookup caches."""
    try:
        from astroid import MANAGER
        from astroid.context import _invalidate_cache
        from astroid.inference_tip import clear_inference_tip_cache
        from astroid.interpreter.objectmodel import ObjectModel
        from astroid.nodes._base_nodes import LookupMixIn
        from astroid.nodes.scoped_nodes import ClassDef
    except ImportError:  # another astroid layout: nothing cached that we know how to release
        return
    cache = MANAGER.astroid_cache
    for name in [n for n in cache if n not in before and n not in KEEP]:
        del cache[name]
    clear_inference_tip_cache()
    _invalidate_cache()
    for cached in (LookupMixIn.lookup, ObjectModel.attributes, ClassDef._metaclass_lookup_attribute):
        clear = getattr(cached, "cache_clear", None)
        if clear is not None:
            clear()


__all__ = [
    "TooLarge",
    "max_bytes",
    "read_capped",
    "size_problem",
    "too_large_message",
    "astroid_modules",
    "BUDGET_ENV",
    "DEFAULT_BUDGET_S",
    "BudgetExceeded",
    "Deadline",
    "budget_seconds",
    "release_astroid",
]
