"""What a provider calls: labels or objects for a request's images, from the engine that
serves the calling application's line."""

from __future__ import annotations

from collections.abc import Sequence

from chameleonapi.detection.policy import uses_silhouettes
from chameleonapi.model.cloud_vocab import (
    FLOORS,
    alias_target,
    labeler_covers,
    merge_objects,
    present,
    with_aliases,
)
from chameleonapi.serving.callsites import find_call_site
from chameleonapi.serving.engines import LabelScores
from chameleonapi.serving.labels import LABELS
from chameleonapi.serving.listeners import ServedCall, listening, notify
from chameleonapi.serving.notices import say_once
from chameleonapi.serving.objects import OBJECT_METHODS, OBJECTS
from chameleonapi.serving.resolver import Resolver
from chameleonapi.serving.specs import specs_at

__all__ = ["decision_names_objects", "labels_resolver", "object_resolver", "record_errors", "serve_labels",
           "serve_objects"]

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
    if uses_silhouettes():
        widest = None if any(m is None for m in limits) else max(limits, default=None)
        ranked = engine.annotate(images, widest)
    else:  # photos: answered as a cloud labeling API answers (everyday labels, specific first)
        ranked = cloud_answers(site, engine, images, provider)
    results = [r if m is None else r[:m] for r, m in zip(ranked, limits)]
    if listening():
        notify(ServedCall(provider, method, site, engine.name, results, [None] * len(results), len(images)))
    return results


_kept: dict[tuple, frozenset[str]] = {}


def decision_labels(site, labels: Sequence[str]) -> frozenset[str]:
    """The model labels the decision at `site` names (shown with the model's own scores); none
    when the call has no analysable decision."""
    if site.file is None:
        return frozenset()
    try:
        specs = specs_at(site)
    except Exception:  # noqa: BLE001 - no analysis (extra missing, unreadable code): nothing is kept
        return frozenset()
    key = (site.file, site.line, tuple(id(s) for s in specs), len(labels), labels[-1] if labels else "")
    if key not in _kept:
        if len(_kept) > 256:
            _kept.clear()
        _kept[key] = frozenset(label for spec in specs if spec.method not in OBJECT_METHODS
                               for text in spec.all_labels for label in labels
                               if spec.label_matches(label, text) or label.casefold() == text.casefold())
    return _kept[key]


def _decision_texts(site) -> list[str]:
    """The label strings the decision at `site` compares against (none without one)."""
    if site.file is None:
        return []
    try:
        specs = specs_at(site)
    except Exception:  # noqa: BLE001 - no analysis (extra missing, unreadable code)
        return []
    return list(dict.fromkeys(t for spec in specs if spec.method not in OBJECT_METHODS for t in spec.all_labels))


def decision_names_objects(site=None) -> bool:
    """Whether the decision at `site` (the calling application's, by default) names a class the
    photo detector knows ("Person", "car") or decides on objects: a label call that also
    reports objects (Rekognition's `Instances`) runs the detector only then, since the detector
    costs several times the labeler's time."""
    from chameleonapi.detection.coco import COCO_ALIASES, COCO_NAMES

    site = find_call_site() if site is None else site
    if site.file is None:
        return False
    try:
        specs = specs_at(site)
    except Exception:  # noqa: BLE001 - no analysis (extra missing, unreadable code)
        return False
    if any(spec.target == "objects" for spec in specs):
        return True
    return any(alias_target(t, COCO_NAMES, COCO_ALIASES) in COCO_NAMES for t in _decision_texts(site))


def cloud_answers(site, engine, images: Sequence, provider: str = "") -> list[LabelScores]:
    """Labels for photos as a labeling API gives them (`model.cloud_vocab`). When the decision
    at `site` names an object class the photo detector knows ("Person", "car"), the detector's
    objects are merged in (a label the labeler also scores at the higher of the two scores,
    except the decision labels of a customized model); strings of the decision that mean a scored label under another
    name ("automobile", "Pug Dog") are reported under the application's own string."""
    from chameleonapi.detection.coco import COCO_ALIASES, COCO_NAMES

    texts = _decision_texts(site)
    keep = decision_labels(site, engine.model.labels)

    def target(text: str):
        return alias_target(text, COCO_NAMES, COCO_ALIASES)

    wants_objects = any(target(t) in COCO_NAMES and not labeler_covers(target(t)) for t in texts)
    ranked = engine.annotate(images, None)
    if wants_objects:
        try:
            found = object_resolver.generic().detect(list(images))
        except Exception as exc:  # noqa: BLE001 - the labels are still answered without objects
            say_once(f"the photo detector could not add objects to the labels ({exc}); labels only")
        else:
            # a customized model's decision labels stay its own (its serving gate judged them alone)
            fixed = keep if engine.name != "generic" else frozenset()
            ranked = [merge_objects(r, objects, fixed) for r, objects in zip(ranked, found)]
    # the provider's floor, for every label: a customized model trains and is gated under it
    floor = FLOORS.get(provider, 0.0)
    out = []
    for row in ranked:
        shown = present(row, keep, floor)
        out.append(with_aliases(shown, dict(row), texts, target, floor) if texts else shown)
    return out


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
