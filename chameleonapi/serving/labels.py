"""The "labels" customizer: a labeler fine-tuned to the decision made at a call site.

The data is what the user configured (`CHAMELEONAPI_DATA`): with none, the generic labeler
is served and the user told once how to customize; the built-in silhouettes are used only
when chosen (`builtin`). A customized model is served only when its validation
incorrect-decision rate beats the generic labeler's (the built-in scenes go through the
same pipeline and the same gate).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from chameleonapi import config
from chameleonapi.logs import names_shown
from chameleonapi.serving.callsites import NO_FRAME
from chameleonapi.serving.engines import Engine
from chameleonapi.serving.notices import say_once
from chameleonapi.serving.resolution import budget_for, spec_for_site

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.serving.callsites import CallSite
    from chameleonapi.spec import DecisionSpec

__all__ = ["HOW_TO_CUSTOMIZE", "LABELS", "LabelsCustomizer", "build_customized", "uncovered_labels"]

HOW_TO_CUSTOMIZE = (
    "set CHAMELEONAPI_DATA to an image folder (<folder>/<label>/*.jpg) or a CSV of your labeled photos "
    "to customize it to this application's decisions (CHAMELEONAPI_DATA=builtin trains on the built-in "
    "animal silhouettes, for demos and tests only)"
)


def uncovered_labels(spec: DecisionSpec, data: str) -> tuple[list[str], bool]:
    """App labels whose categories no training photo belongs to, and whether any is covered."""
    from chameleonapi.data import load_dataset
    from chameleonapi.training.names import overrides_for
    from chameleonapi.training.pipeline import DATA_SEED, budget_of, coverage, prepare_data, report_unmapped

    plan = budget_of(budget_for("labels").name)
    train_set = load_dataset(data, "train", seed=DATA_SEED, size=plan.train_photos)
    prepared = prepare_data(spec, [train_set], overrides_for(data))
    report_unmapped(prepared, str(data))
    missing = coverage(spec, prepared, train_set)
    covered = any(label not in missing for label in spec.all_labels)
    return missing, covered


def build_customized(spec: DecisionSpec, data: str, progress: bool = True):
    """The customized model of `spec` to serve (from the store, or trained and stored now),
    or None when the generic labeler must be served instead (said once, with the reason)."""
    from chameleonapi.training import customize

    where = f"{spec.call.file}:{spec.call.line}" if spec.call is not None else "the call"
    missing, covered = uncovered_labels(spec, data)
    if not covered:
        say_once(f"no photo in {data} shows what the decision at {where} checks "
                 f"({names_shown(missing)}); serving the generic labeler")
        return None
    if missing:
        say_once(f"no training photo in {data} for {names_shown(missing)} (checked at {where}); "
                 "the customized model learns these only from the generic labeler")
    model = customize(spec, data=data, progress=progress, budget=budget_for("labels").name)
    verdict = (model.card or {}).get("validation") or {}
    if verdict.get("served") == "generic":
        say_once(f"serving the generic labeler at {where}: {verdict.get('reason')}")
        return None
    return model


class LabelsCustomizer:
    """Labels: plan from the label decision at a site, build through `chameleonapi.training`."""

    kind = "labels"
    artifact = "model"
    what = "customization"
    generic_name = "generic model"

    def check_available(self) -> None:
        """The generic labeler can always answer."""

    def generic_model(self):
        from chameleonapi.model.generic import shared_labeler

        return shared_labeler()

    def engine(self, model) -> Engine:
        return Engine(model)

    def plan(self, site: CallSite, provider: str) -> DecisionSpec | None:
        """The decision to customize for at `site`, or None (and why, said once)."""
        if site.file is None:
            if site.function == NO_FRAME:
                say_once("no application frame was found for a call (work started by a library thread?); "
                         "serving the generic model")
            else:
                say_once("the calling code has no source file (python -c, exec); serving the generic model")
            return None
        spec = spec_for_site(site)
        if spec is None:
            say_once(f"no decision found for the call at {site.file}:{site.line}; serving the generic model",
                     logging.INFO)
            return None
        if spec.partial or not spec.all_labels:
            reasons = "; ".join(spec.reasons) or "labels not resolved"
            say_once(f"the decision at {site.file}:{site.line} is only partly known ({reasons}); "
                     "serving the generic model")
            return None
        if config.data_source() is None:
            say_once(f"serving the generic labeler (no photos configured): {HOW_TO_CUSTOMIZE}")
            return None
        return spec

    def build(self, plan: DecisionSpec, progress: bool):
        data = config.data_source()
        return build_customized(plan, data, progress=progress) if data is not None else None


LABELS = LabelsCustomizer()
