"""What a provider calls: labels or objects for a request's images, from the engine that
serves the calling application's line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from chameleonapi.detection.policy import uses_silhouettes
from chameleonapi.model.cloud_vocab import (
    FLOORS,
    alias_target,
    merge_objects,
    present,
    with_aliases,
)
from chameleonapi.serving.callsites import CallSite, find_call_site
from chameleonapi.serving.engines import LabelScores
from chameleonapi.serving.labels import LABELS
from chameleonapi.serving.notices import ServedCall, listening, notify, say_once
from chameleonapi.serving.objects import OBJECT_METHODS, OBJECTS
from chameleonapi.serving.resolution import Resolver, specs_at

__all__ = ["decision_names_objects", "labels_resolver", "object_resolver", "record_errors", "serve_labels",
           "serve_objects"]

labels_resolver = Resolver(LABELS)
object_resolver = Resolver(OBJECTS)


def serve_labels(
    images: Sequence, *, provider: str, method: str, max_results: Sequence[int | None] | int | None,
    min_score: float | None = None, site: CallSite | None = None,
) -> list[LabelScores]:
    """Labels for `images` from the engine that serves the calling application (at `site`, when
    the caller has found it already). A caller that drops every label scored under
    `min_score` (a service's confidence floor) may say so: those labels are then not built."""
    site = find_call_site() if site is None else site
    engine = labels_resolver.engine_for(site, provider)
    _served(site)
    limits = list(max_results) if isinstance(max_results, (list, tuple)) else [max_results] * len(images)
    if uses_silhouettes():
        widest = None if any(m is None for m in limits) else max(limits, default=None)
        ranked = engine.annotate(images, widest)
    else:  # photos: answered as a cloud labeling API answers (everyday labels, specific first)
        ranked = cloud_answers(site, engine, images, provider, limits, min_score)
    results = [r if m is None else r[:m] for r, m in zip(ranked, limits)]
    if listening():
        notify(ServedCall(provider, method, site, engine.name, results, [None] * len(results), len(images)))
    return results


@dataclass(frozen=True, eq=False)
class SiteDecision:
    """What the decision at a call site asks of a labels answer, worked out once per analysis
    of its module (a served call only looks it up)."""

    texts: tuple[str, ...] = ()  # the label strings it compares against
    targets: dict[str, str | tuple[str, ...] | None] = field(default_factory=dict)  # each text's (`alias_target`)
    on_objects: bool = False  # it decides on objects, or names a class the photo detector knows
    wants_objects: bool = False  # it names a class the photo detector knows: its objects join the labels
    specs: tuple = ()
    _kept: dict = field(default_factory=dict, compare=False, repr=False)

    def keep(self, labels: Sequence[str]) -> frozenset[str]:
        """The model labels the decision names (shown with the model's own scores). Remembered
        per label list; an engine's list (one tuple per model) is found by identity, without
        hashing its ~1,800 names on every call."""
        if not self.texts:
            return frozenset()
        held = self._kept.get(id(labels))
        if held is not None and held[0] is labels:
            return held[1]
        key = labels if isinstance(labels, tuple) else tuple(labels)
        found = frozenset(
            label for spec in self.specs if spec.method not in OBJECT_METHODS for text in spec.all_labels
            for label in key if spec.label_matches(label, text) or label.casefold() == text.casefold())
        if len(self._kept) > 8:
            self._kept.clear()
        self._kept[id(key)] = (key, found)  # the list is held: its id is not reused meanwhile
        return found


NO_DECISION = SiteDecision()
_decisions: dict[tuple, SiteDecision] = {}


def site_decision(site) -> SiteDecision:
    """The `SiteDecision` at `site` (none when the call has no analysable decision)."""
    if site.file is None:
        return NO_DECISION
    try:
        specs = specs_at(site)
    except Exception:  # noqa: BLE001 - no analysis (extra missing, unreadable code): nothing is kept
        return NO_DECISION
    key = (site.file, site.line, tuple(id(s) for s in specs))
    found = _decisions.get(key)
    if found is None:
        from chameleonapi.detection.coco import COCO_ALIASES, COCO_NAMES

        texts = tuple(dict.fromkeys(t for spec in specs if spec.method not in OBJECT_METHODS for t in spec.all_labels))
        targets = {t: alias_target(t, COCO_NAMES, COCO_ALIASES) for t in texts}
        named = [label for t in targets.values() for label in ((t,) if isinstance(t, str) else t or ())]
        found = SiteDecision(
            texts, targets,
            on_objects=any(spec.target == "objects" for spec in specs) or any(t in COCO_NAMES for t in named),
            wants_objects=any(t in COCO_NAMES for t in named),
            specs=tuple(specs),
        )
        if len(_decisions) > 256:
            _decisions.clear()
        _decisions[key] = found
    return found


def decision_names_objects(site=None) -> bool:
    """Whether the decision at `site` (the calling application's, by default) names a class the
    photo detector knows ("Person", "car") or decides on objects: a label call that also
    reports objects (Rekognition's `Instances`) runs the detector only then, since the detector
    costs several times the labeler's time."""
    return site_decision(find_call_site() if site is None else site).on_objects


def cloud_answers(site, engine, images: Sequence, provider: str = "", limits: Sequence[int | None] | None = None,
                  min_score: float | None = None) -> list[LabelScores]:
    """Labels for photos as a labeling API gives them (`model.cloud_vocab`), at most each
    image's limit and none under `min_score`. When the decision at `site` names an object
    class the photo detector knows ("Person", "Car"), the detector runs and every object it
    finds joins the presented labels (a label the labeler also scores at the higher of the two
    scores, except the decision labels of a customized model); strings of the decision that
    mean a scored label under another name ("automobile", "Pug Dog") are reported under the
    application's own string. A generic labeler's decision labels are lifted like any label
    (`cloud_vocab.present`); a customized model's keep its scores (`fixed`)."""
    from chameleonapi.model.cloud_rows import label_rows, ranked_row  # numpy: not needed to switch on

    decision = site_decision(site)
    matrix, labels = engine.scored(images)
    keep = decision.keep(labels)
    limits = list(limits) if limits is not None else [None] * len(matrix)
    found = None
    if decision.wants_objects:
        try:
            found = object_resolver.generic().detect(list(images))
        except Exception as exc:  # noqa: BLE001 - the labels are still answered without objects
            say_once(f"the photo detector could not add objects to the labels ({exc}); labels only")
    # the provider's floor, for every label: a customized model trains and is gated under it; its
    # decision labels stay its own against the detector's objects (its serving gate judged them alone)
    floor, fixed = FLOORS.get(provider, 0.0), (keep if engine.name != "generic" else frozenset())
    texts, resolve = decision.texts, decision.targets.get
    if found is None:
        rows = label_rows(labels)
        return [rows.answer(row, keep, floor, frozenset(), texts, resolve, min_score=min_score, limit=limit,
                            fixed=fixed)
                for row, limit in zip(matrix, limits)]
    out = []
    for row, objects, limit in zip(matrix, found, limits):  # objects join the presented labels
        ranked = ranked_row(row, labels)
        shown = [kv for kv in merge_objects(present(ranked, keep, fixed=fixed), objects, fixed) if kv[1] >= floor]
        shown = with_aliases(shown, dict(merge_objects(ranked, objects, fixed)), texts, resolve, floor) if texts else shown
        shown = [kv for kv in shown if kv[1] >= min_score] if min_score is not None else shown
        out.append(shown if limit is None else shown[:limit])
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
