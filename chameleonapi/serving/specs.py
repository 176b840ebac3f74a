"""The decision found at a call site: the analysis of the calling module, looked up by line.

Each module version (path and modification time) is analysed once, even when several call
sites race; code that is not on disk (a Jupyter/IPython cell) is analysed from the source
Python keeps in `linecache`. Labels and objects read their specs here alike.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chameleonapi.serving.notices import say_once

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.serving.callsites import CallSite
    from chameleonapi.spec import DecisionSpec

__all__ = ["spec_for_site", "specs_at"]

_locks_lock = threading.Lock()
_analysis_locks: dict[str, threading.Lock] = {}


_analysed: OrderedDict[tuple[str, float], tuple] = OrderedDict()  # the 64 latest module versions


def _specs_of(path: str, mtime: float, live: Any = None) -> tuple:
    """The decision specs of one module version (analysed once even when sites race).

    The first analysis reads names the source cannot resolve from the calling frame
    (`live`, plain data only); that frame is released right after, and later calls reuse
    what was found."""
    with _locks_lock:
        lock = _analysis_locks.setdefault(path, threading.Lock())
    with lock:
        key = (path, mtime)
        found = _analysed.get(key)
        if found is None:
            try:
                found = _reported(path, live)
            finally:
                if live is not None:
                    live.release()
            _analysed[key] = found
            while len(_analysed) > 64:
                _analysed.popitem(last=False)
        elif live is not None:
            live.release()
        return found


@lru_cache(maxsize=64)
def _specs_of_source(source: str) -> tuple:
    return _reported(source)


def _reported(path_or_source: str, live: Any = None) -> tuple:
    """The specs of one analysis; what it could not do (a file too large, a syntax error, the
    time budget spent) is said once on the log, so a lost decision is never a mystery."""
    from chameleonapi.analysis import analyze_report

    report = analyze_report(path_or_source, live=live)
    for error in report.errors:
        say_once(f"analysis: {error}; the generic model serves its calls")
    for note in report.notes:
        if "time budget" in note:
            say_once(f"analysis: {note}")
    return tuple(report.specs)


def specs_at(site: CallSite) -> list[DecisionSpec]:
    """Every decision the analysis finds for the call at `site` (in the analysis' order)."""
    if site.file is None:
        return []
    if not os.path.exists(site.file):
        import linecache

        source = "".join(linecache.getlines(site.file))
        if not source.strip():
            say_once(f"the calling code ({site.file}) has no source to analyse; serving the generic model")
            return []
        return [s for s in _specs_of_source(source) if s.call is not None and s.call.line == site.line]
    path = os.path.realpath(site.file)
    found = [spec for spec in _specs_of(path, os.path.getmtime(path), site.live) if _at(spec, path, site.line)]
    for caller in site.outer if not found else ():
        # a helper module calls the SDK and hands the labels back: its caller decides
        if caller.endswith(".py") and os.path.isfile(caller) and _under_app(caller):
            caller = os.path.realpath(caller)
            found = [spec for spec in _specs_of(caller, os.path.getmtime(caller)) if _at(spec, path, site.line)]
            if found:
                break
    return found


def _at(spec: DecisionSpec, path: str, line: int) -> bool:
    return spec.call is not None and spec.call.line == line and os.path.realpath(spec.call.file) == path


@lru_cache(maxsize=1)
def _library_roots() -> tuple[str, ...]:
    import sysconfig

    paths = sysconfig.get_paths()
    return tuple({os.path.realpath(paths[k]) + os.sep for k in ("stdlib", "purelib", "platlib")})


@lru_cache(maxsize=1024)
def _under_app(path: str) -> bool:
    """Not the standard library or an installed package (those are never the app's callers;
    asked on every served call from a helper module, so remembered per path)."""
    real = os.path.realpath(path)
    return "site-packages" not in real and not real.startswith(_library_roots())


def spec_for_site(site: CallSite) -> DecisionSpec | None:
    """The decision made from the answer of the call at `site`, if the analysis finds one."""
    found = specs_at(site)
    return found[0] if found else None
