"""What a provider calls: labels or objects for a request's images, from the engine that
serves the calling application's line."""

from __future__ import annotations

from collections.abc import Sequence

from chameleonapi.serving.callsites import find_call_site
from chameleonapi.serving.engines import LabelScores
from chameleonapi.serving.labels import LABELS
from chameleonapi.serving.listeners import ServedCall, listening, notify
from chameleonapi.serving.objects import OBJECTS
from chameleonapi.serving.resolver import Resolver

__all__ = ["labels_resolver", "object_resolver", "record_errors", "serve_labels", "serve_objects"]

labels_resolver = Resolver(LABELS)
object_resolver = Resolver(OBJECTS)


def serve_labels(
    images: Sequence, *, provider: str, method: str, max_results: Sequence[int | None] | int | None
) -> list[LabelScores]:
    """Labels for `images` from the engine that serves the calling application."""
    site = find_call_site()
    engine = labels_resolver.engine_for(site, provider)
    _served(site)
    limits = list(max_results) if isinstance(max_results, (list, tuple)) else [max_results] * len(images)
    widest = None if any(m is None for m in limits) else max(limits, default=None)
    ranked = engine.annotate(images, widest)
    results = [r if m is None else r[:m] for r, m in zip(ranked, limits)]
    if listening():
        notify(ServedCall(provider, method, site, engine.name, results, [None] * len(results), len(images)))
    return results


def serve_objects(images: Sequence, *, provider: str, method: str, max_results: int | None = None) -> list[list]:
    """Detected objects for `images` (`chameleonapi.detection.model.Detection`, score-ordered)
    from the detector that serves the calling application."""
    site = find_call_site()
    engine = object_resolver.engine_for(site, provider)
    _served(site)
    results = engine.detect(list(images))
    if max_results:
        results = [r[:max_results] for r in results]
    if listening():
        labels = [[(d.name, d.score) for d in dets] for dets in results]
        notify(ServedCall(provider, method, site, engine.name, labels, [None] * len(results), len(images)))
    return results


def _served(site) -> None:
    """The engine is chosen: the calling frame is no longer read (nor kept alive)."""
    if site.live is not None:
        site.live.release()


def record_errors(provider: str, method: str, errors: list[str]) -> None:
    """Tell listeners about images refused before reaching a model."""
    if listening() and errors:
        notify(ServedCall(provider, method, find_call_site(), "none", [], list(errors), len(errors)))
