"""First call from a call site: analyse the caller, then load or train its customized model.

Called by the runtime's resolver once per call site. Returns an Engine, or None to serve the
generic model; any failure is the resolver's to report (once) and to fall back from. The
data is what the user configured (`CHAMELEONAPI_DATA`): with none, the generic labeler is
served and the user told once how to customize; the built-in silhouettes are used only
when chosen (`builtin`). A model trained on photos is served only when its validation
incorrect-decision rate beats the generic labeler's.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from chameleonapi import config
from chameleonapi.engine import Engine

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.runtime import CallSite
    from chameleonapi.spec import DecisionSpec

logger = logging.getLogger("chameleonapi")
_said: set[str] = set()
_said_lock = threading.Lock()


def _say_once(message: str, level: int = logging.WARNING) -> None:
    with _said_lock:
        if message in _said:
            return
        _said.add(message)
    logger.log(level, "%s", message)


_analysis_locks: dict[str, threading.Lock] = {}


def _specs_of(path: str, mtime: float) -> tuple:
    """The decision specs of one module version (analysed once even when sites race)."""
    with _said_lock:
        lock = _analysis_locks.setdefault(path, threading.Lock())
    with lock:
        return _analyse(path, mtime)


@lru_cache(maxsize=64)
def _analyse(path: str, mtime: float) -> tuple:
    from chameleonapi.analysis import analyze

    return tuple(analyze(path))


def spec_for_site(site: CallSite) -> DecisionSpec | None:
    """The decision made from the labels of the call at `site`, if the analysis finds one."""
    if site.file is None:
        return None
    if not os.path.exists(site.file):
        return _spec_from_linecache(site)
    path = os.path.realpath(site.file)
    for spec in _specs_of(path, os.path.getmtime(path)):
        if spec.call is not None and spec.call.line == site.line and os.path.realpath(spec.call.file) == path:
            return spec
    return None


def _spec_from_linecache(site: CallSite) -> DecisionSpec | None:
    """Code that is not on disk (a Jupyter/IPython cell): analyse the source Python keeps for it."""
    import linecache

    source = "".join(linecache.getlines(site.file))
    if not source.strip():
        _say_once(f"the calling code ({site.file}) has no source to analyse; serving the generic model")
        return None
    for spec in _specs_of_source(source):
        if spec.call is not None and spec.call.line == site.line:
            return spec
    return None


@lru_cache(maxsize=64)
def _specs_of_source(source: str) -> tuple:
    from chameleonapi.analysis import analyze

    return tuple(analyze(source))


HOW_TO_CUSTOMIZE = (
    "set CHAMELEONAPI_DATA to an image folder (<folder>/<label>/*.jpg) or a CSV of your labeled photos "
    "to customize it to this application's decisions (CHAMELEONAPI_DATA=builtin trains on the built-in "
    "animal silhouettes, for demos and tests only)"
)


def uncovered_labels(spec: DecisionSpec, data: str) -> tuple[list[str], bool]:
    """App labels whose categories no training photo belongs to, and whether any is covered."""
    from chameleonapi.data import load_dataset
    from chameleonapi.training.photos import DATA_SEED, coverage, photo_budget_of, prepare_data

    plan = photo_budget_of(config.budget())
    train_set = load_dataset(data, "train", seed=DATA_SEED, size=plan.train_photos)
    prepared = prepare_data(spec, [train_set])
    if prepared.unresolved:
        _say_once(f"photo labels not found in WordNet, kept as new labels with no ancestors: "
                  f"{', '.join(prepared.unresolved)}")
    missing = coverage(spec, prepared, train_set)
    covered = any(label not in missing for label in spec.all_labels)
    return missing, covered


def build_customized(spec: DecisionSpec, data: str, progress: bool = True):
    """The customized model of `spec` to serve (from the store, or trained and stored now),
    or None when the generic labeler must be served instead (said once, with the reason)."""
    from chameleonapi.training import customize, is_photos

    where = f"{spec.call.file}:{spec.call.line}" if spec.call is not None else "the call"
    if is_photos(data):
        missing, covered = uncovered_labels(spec, data)
        if not covered:
            _say_once(f"no photo in {data} shows what the decision at {where} checks "
                      f"({', '.join(missing)}); serving the generic labeler")
            return None
        if missing:
            _say_once(f"no training photo in {data} for {', '.join(missing)} (checked at {where}); "
                      "the customized model learns these only from the generic labeler")
    model = customize(spec, data=data, progress=progress, budget=config.budget())
    verdict = (model.card or {}).get("validation") or {}
    if verdict.get("served") == "generic":
        _say_once(f"serving the generic labeler at {where}: {verdict.get('reason')}")
        return None
    return model


class BackgroundEngine(Engine):
    """Serves the generic model at once; a thread analyses the call site and, when it finds
    a decision, trains the customized model and swaps it in."""

    def __init__(self, generic: Engine, site: CallSite, provider: str) -> None:
        super().__init__(generic.model, generic.max_batch)
        self.ready = threading.Event()
        self.finished = threading.Event()
        self._thread = threading.Thread(
            target=self._work, args=(site, provider), daemon=True, name="chameleonapi-customize"
        )
        self._thread.start()

    def _work(self, site: CallSite, provider: str) -> None:
        from chameleonapi.runtime import report_failure

        try:
            spec = plan(site)
            if spec is None:
                return
            model = build_customized(spec, config.data_setting(), progress=False)
            if model is None:
                return
            with self._lock:
                self.model = model
            self.ready.set()
            logger.info("customized model ready (%s)", model.name)
        except Exception as exc:  # the application keeps the generic model
            report_failure(exc)
        finally:
            self.finished.set()


def plan(site: CallSite) -> DecisionSpec | None:
    """The decision to customize for at `site`, or None (and why, said once)."""
    from chameleonapi.runtime import NO_FRAME

    if site.file is None:
        if site.function == NO_FRAME:
            _say_once("no application frame was found for a call (work started by a library thread?); "
                      "serving the generic model")
        else:
            _say_once("the calling code has no source file (python -c, exec); serving the generic model")
        return None
    spec = spec_for_site(site)
    if spec is None:
        _say_once(f"no decision found for the call at {site.file}:{site.line}; serving the generic model", logging.INFO)
        return None
    if spec.partial or not spec.all_labels:
        reasons = "; ".join(spec.reasons) or "labels not resolved"
        _say_once(f"the decision at {site.file}:{site.line} is only partly known ({reasons}); serving the generic model")
        return None
    data = config.data_setting()
    if data is None:
        _say_once(f"serving the generic labeler (no photos configured): {HOW_TO_CUSTOMIZE}")
        return None
    return spec


def customized_engine(site: CallSite, provider: str) -> Engine | None:
    """The engine for the first call from `site`: None serves the generic model.

    `background` answers at once with the generic model and does the analysis and the
    training in a thread; `auto` does both now (the resolver holds no lock other call
    sites need meanwhile).
    """
    mode = config.train_mode()
    if mode == "never":
        return None
    if mode == "background":
        from chameleonapi.runtime import resolver

        return BackgroundEngine(resolver.generic(), site, provider)
    spec = plan(site)
    if spec is None:
        return None
    model = build_customized(spec, config.data_setting(), progress=config.progress())
    return Engine(model) if model is not None else None
