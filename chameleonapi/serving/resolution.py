"""Which model serves a call site: the decision found there, the kind's customizer and budget,
and one resolver per kind of model that chooses each site's engine once.

The decision at a call site is the analysis of the calling module, looked up by line; each
module version (path and modification time) is analysed once, even when several call sites
race; code that is not on disk (a Jupyter/IPython cell) is analysed from the source Python
keeps in `linecache`.

The first call from a call site asks the kind's `Customizer` what to customize for there
(`CHAMELEONAPI_TRAIN`: `auto` builds it now, `background` serves the generic model while a
thread builds it, `never` serves the generic model); later calls reuse that engine. When
another process of the fleet holds the lease on the model (a shared store), `auto` too serves
the generic model and a thread waits for the published one. No lock other call sites need is
held meanwhile (`SiteEngines`), and no failure reaches the application: the generic model
answers and the reason is said once.

A `Budget` names a preset of one kind (`labels`: `CHAMELEONAPI_BUDGET`, presets of
`chameleonapi.training.pipeline`; `objects`: `CHAMELEONAPI_DETECTOR_BUDGET`, presets of
`chameleonapi.detection.train`), read through `chameleonapi.config` like every setting.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from chameleonapi import config
from chameleonapi.leases import TrainingElsewhere, waiting
from chameleonapi.serving.background import serve_in_background
from chameleonapi.serving.notices import report_failure, say_once

if TYPE_CHECKING:
    from chameleonapi.serving.callsites import CallSite
    from chameleonapi.serving.engines import ServedModel
    from chameleonapi.spec import DecisionSpec

__all__ = ["Budget", "Customizer", "Resolver", "SETTINGS", "SiteEngines", "budget_for", "spec_for_site", "specs_at"]


class Resolver:
    """Chooses and caches the engine of each call site for one kind of model."""

    def __init__(self, customizer: Customizer) -> None:
        self.customizer = customizer
        self._generic_lock = threading.Lock()
        self._sites = SiteEngines()
        self._generic: ServedModel | None = None
        self.override: ServedModel | None = None

    def generic(self) -> ServedModel:
        """The engine of the generic model, shared by every site it serves (loaded once)."""
        with self._generic_lock:
            if self._generic is None:
                self._generic = self.customizer.engine(self.customizer.generic_model())
            return self._generic

    def engine_for(self, site: CallSite, provider: str) -> ServedModel:
        if self.override is not None:
            return self.override
        self.customizer.check_available()
        return self._sites.get(site, lambda: self._choose(site, provider), self.generic)

    def engine_at(self, site: CallSite) -> ServedModel | None:
        """The engine already chosen for `site`, if any."""
        return self._sites.peek(site)

    def _report(self, exc: BaseException) -> None:
        report_failure(exc, self.customizer.what, self.customizer.generic_name)

    def _customized(self, site: CallSite, provider: str, progress: bool) -> Any:
        plan = self.customizer.plan(site, provider)
        return None if plan is None else self.customizer.build(plan, progress)

    def _customized_later(self, site: CallSite, provider: str) -> Any:
        """In a background thread: the customized model, waiting for one trained elsewhere."""
        with waiting():
            return self._customized(site, provider, False)

    def _in_background(self, site: CallSite, provider: str) -> ServedModel:
        engine = self.customizer.engine(self.generic().model)
        return serve_in_background(
            engine, lambda: self._customized_later(site, provider), self._report, self.customizer.artifact
        )

    def _choose(self, site: CallSite, provider: str) -> ServedModel:
        try:
            mode = config.train_mode()
            if mode == "background":
                if site.live is not None and site.file is not None:
                    specs_at(site)  # analysed now, while the calling frame can still be read
                return self._in_background(site, provider)
            model = self._customized(site, provider, config.progress()) if mode == "auto" else None
        except TrainingElsewhere as exc:  # another process of the fleet trains it: never wait on it
            say_once(f"{self.customizer.artifact} for {site.file}:{site.line}: {exc}; the {self.customizer.generic_name} "
                     "answers until it is published", logging.INFO)
            return self._in_background(site, provider)
        except ImportError:  # an install without the training extras serves the generic model
            model = None
        except Exception as exc:  # never let our failure reach the application
            self._report(exc)
            model = None
        return self.customizer.engine(model) if model is not None else self.generic()

    def reset(self, generic: bool = False) -> None:
        """Choose every site's engine again; with `generic`, also fetch the generic model
        again (its runtime and threads then follow the settings of the moment)."""
        self._sites.clear()
        if generic:
            with self._generic_lock:
                self._generic = None


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

    def peek(self, site: Any) -> Any:
        """The engine already resolved for `site`, or None."""
        return self._engines.get(site)

    def clear(self) -> None:
        with self._lock:
            self._engines.clear()
            self._pending.clear()


class Customizer(Protocol):
    """One kind of model: how to plan a customization from a call site's decision, build (or
    load) its artifact, and serve it.

    `artifact`, `what` and `generic_name` word the messages ("customized model ready",
    "customization failed (...); serving the generic model").
    """

    kind: str
    artifact: str
    what: str
    generic_name: str

    def check_available(self) -> None:
        """Raise the error the provider turns into the SDK's own when no model may answer."""

    def generic_model(self) -> Any:
        """The generic model of this kind (loaded or built once per cache folder)."""

    def engine(self, model: Any) -> ServedModel:
        """A fresh engine serving `model`."""

    def plan(self, site: CallSite, provider: str) -> Any | None:
        """What to customize for the call at `site`, or None to serve the generic model
        (the reason is said once)."""

    def build(self, plan: Any, progress: bool) -> Any | None:
        """The customized model of `plan`, from the store or trained and stored now; None
        when the generic model must answer instead (said once)."""


SETTINGS = {"labels": "budget", "objects": "detector_budget"}


@dataclass(frozen=True)
class Budget:
    """A named training-budget preset of one kind of model."""

    kind: str
    name: str

    def preset(self) -> Any:
        """The preset itself (a customization `Budget` or a detector `DetBudget`)."""
        if self.kind == "objects":
            from chameleonapi.detection.train import BUDGETS

            return BUDGETS[self.name]
        from chameleonapi.training.pipeline import budget_of

        return budget_of(self.name)


def budget_for(kind: str, value: str | None = None) -> Budget:
    """The configured budget of `kind` (`value`, a keyword, wins); a bad one is a `SettingsError`."""
    if kind not in SETTINGS:
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(SETTINGS)}")
    return Budget(kind, config.get(SETTINGS[kind], value))


_locks_lock = threading.Lock()
_analysis_locks: dict[str, threading.Lock] = {}


_analysed: OrderedDict[tuple[str, float], tuple] = OrderedDict()  # the 64 latest module versions


def _specs_of(path: str, mtime: float, live: Any = None) -> tuple:
    """The decision specs of one module version (analysed once even when sites race).

    The first analysis reads names the source cannot resolve from the calling frame
    (`live`, plain data only); that frame is released right after, and later calls reuse
    what was found."""
    found = _analysed.get((path, mtime))  # analysed already: no lock to take
    if found is not None:
        if live is not None:
            live.release()
        return found
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
    try:
        mtime = os.stat(site.file).st_mtime  # one stat: it exists, and which version of it
    except (OSError, ValueError):
        mtime = None
    if mtime is None:
        import linecache

        source = "".join(linecache.getlines(site.file))
        if not source.strip():
            say_once(f"the calling code ({site.file}) has no source to analyse; serving the generic model")
            return []
        return [s for s in _specs_of_source(source) if s.call is not None and s.call.line == site.line]
    path = _real(site.file)
    found = [spec for spec in _specs_of(path, mtime, site.live) if _at(spec, path, site.line)]
    for caller in site.outer if not found else ():
        # a helper module calls the SDK and hands the labels back: its caller decides
        if caller.endswith(".py") and os.path.isfile(caller) and _under_app(caller):
            caller = _real(caller)
            found = [spec for spec in _specs_of(caller, os.path.getmtime(caller)) if _at(spec, path, site.line)]
            if found:
                break
    return found


@lru_cache(maxsize=1024)
def _real(path: str) -> str:
    """`os.path.realpath`, remembered per path: asked for the calling file on every served call
    (a stat per path component each time)."""
    return os.path.realpath(path)


def _at(spec: DecisionSpec, path: str, line: int) -> bool:
    return spec.call is not None and spec.call.line == line and _real(spec.call.file) == path


@lru_cache(maxsize=1)
def _library_roots() -> tuple[str, ...]:
    import sysconfig

    paths = sysconfig.get_paths()
    return tuple({os.path.realpath(paths[k]) + os.sep for k in ("stdlib", "purelib", "platlib")})


@lru_cache(maxsize=1024)
def _under_app(path: str) -> bool:
    """Not the standard library or an installed package (those are never the app's callers;
    asked on every served call from a helper module, so remembered per path)."""
    real = _real(path)
    return "site-packages" not in real and not real.startswith(_library_roots())


def spec_for_site(site: CallSite) -> DecisionSpec | None:
    """The decision made from the answer of the call at `site`, if the analysis finds one."""
    found = specs_at(site)
    return found[0] if found else None
