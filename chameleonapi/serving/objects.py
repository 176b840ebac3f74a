"""The "objects" customizer: a detector head customized to the object decision at a call site.

Photos are answered by the generic COCO photo detector, the built-in silhouettes (chosen with
`CHAMELEONAPI_DATA=builtin`) by the silhouette detector (`detection.policy`); the plan is the
detector classes the decision checks and its reporting threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chameleonapi import services
from chameleonapi.detection.policy import (
    REPORT_FLOOR,
    DetectorUnavailable,
    missing_detector_message,
    objects_available,
    uses_silhouettes,
)
from chameleonapi.logs import names_shown
from chameleonapi.serving.engines import DetectorEngine
from chameleonapi.serving.notices import say_once
from chameleonapi.serving.resolution import budget_for, specs_at

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.serving.callsites import CallSite
    from chameleonapi.spec import DecisionSpec

__all__ = ["OBJECTS", "OBJECT_METHODS", "DetectorPlan", "ObjectsCustomizer", "listed_classes", "object_spec_for_site"]

OBJECT_METHODS = tuple(dict.fromkeys(m for d in services.descriptors() for m in d.object_methods))


def _names() -> tuple[str, ...]:
    """The classes of the detector that answers the configured data."""
    if not uses_silhouettes():
        from chameleonapi.detection.coco import COCO_NAMES

        return COCO_NAMES
    from chameleonapi.detection.scenes import NAMES

    return NAMES


def listed_classes(spec: DecisionSpec, provider: str) -> list[int]:
    """Detector classes whose reported name (in the provider's style) the decision checks."""
    styled = [n.lower() if provider.startswith("azure") else n for n in _names()]
    return [i for i, name in enumerate(styled) if spec.categories_of(name)]


def object_spec_for_site(site: CallSite) -> DecisionSpec | None:
    """The object decision made at `site` (a count decision first, else a presence test)."""
    found = [spec for spec in specs_at(site) if spec.method in OBJECT_METHODS]
    found.sort(key=lambda spec: spec.target != "objects")
    return found[0] if found else None


@dataclass(frozen=True)
class DetectorPlan:
    """The detector to customize: its name, the classes the decision checks, its threshold."""

    name: str
    listed: tuple[int, ...]
    threshold: float
    decision: DecisionSpec | None = field(default=None, compare=False)  # its count comparison shapes the loss


class GenericDetectors:
    """The generic detector of the configured data, chosen per call (photos: the COCO photo
    detector; the built-in silhouettes: the silhouette detector); each is loaded once."""

    def __init__(self) -> None:
        self._loaded: dict[bool, Any] = {}

    def current(self):
        silhouettes = uses_silhouettes()
        if silhouettes not in self._loaded:
            if silhouettes:
                from chameleonapi.detection.detector import DetectorModel
                from chameleonapi.detection.heads import generic_head

                model = DetectorModel("generic-detector", generic_head(chosen=budget_for("objects").preset()))
            else:
                from chameleonapi.detection.coco import PhotoDetector

                model = PhotoDetector()
            self._loaded[silhouettes] = model
        return self._loaded[silhouettes]

    @property
    def name(self) -> str:
        return self.current().name

    def detect(self, images, min_score: float = REPORT_FLOOR):
        return self.current().detect(images, min_score)


class ObjectsCustomizer:
    """Objects: plan from the object decision at a site, build a stored detector head."""

    kind = "objects"
    artifact = "detector"
    what = "detector customization"
    generic_name = "generic detector"

    def check_available(self) -> None:
        if not objects_available():
            raise DetectorUnavailable(missing_detector_message())

    def generic_model(self):
        return GenericDetectors()

    def engine(self, model) -> DetectorEngine:
        return DetectorEngine(model)

    def plan(self, site: CallSite, provider: str) -> DetectorPlan | None:
        if site.file is None:
            return None
        spec = object_spec_for_site(site)
        if spec is None or spec.partial:
            return None
        listed = listed_classes(spec, provider)
        names = _names()
        if not listed:
            say_once(f"the objects checked at {site.file}:{site.line} are not in the detector's classes "
                     f"({names_shown(names)}); serving the generic detector")
            return None
        threshold = max(REPORT_FLOOR, spec.threshold or 0.0)
        if not uses_silhouettes():
            from chameleonapi import config
            from chameleonapi.detection.boxes import is_box_data

            if not is_box_data(config.data_source()):
                say_once(f"the object decision at {site.file}:{site.line} is served by the generic photo detector "
                         "(CHAMELEONAPI_DATA holds no photos with boxes to customize it on)")
                return None
        return DetectorPlan(f"chameleon-detector[{','.join(names[c] for c in listed)}]", tuple(listed), threshold,
                            decision=spec)

    def build(self, plan: DetectorPlan, progress: bool):
        if not uses_silhouettes():
            from chameleonapi import config
            from chameleonapi.detection.photo_heads import customized_photo_detector

            return customized_photo_detector(plan.decision, list(plan.listed), plan.threshold, config.data_source(),
                                             budget_for("objects").name)
        from chameleonapi.detection.detector import DetectorModel
        from chameleonapi.detection.heads import customized_head

        head = customized_head(plan.listed, plan.threshold, chosen=budget_for("objects").preset(),
                               decision=plan.decision)
        return DetectorModel(plan.name, head)


OBJECTS = ObjectsCustomizer()
