"""The labeler's answer as a cloud labeling API gives it: everyday labels, specific ones first.

The label space holds every ImageNet class and all its WordNet ancestors, each scored as the
sum of its classes (so "Organism" always outscores "Cat"). A labeling API answers otherwise:
it never reports WordNet internals (Organism, Chordate, Placental, Instrumentality, Artifact)
and lists the most specific confident labels first, then a few broader ones ("Cat",
"Carnivore", "Mammal"). `present` turns the model's ranking into that answer:

- a label is shown when it is an ImageNet class or an ancestor whose name Google's Open
  Images vocabulary also uses, minus the abstract ones (`cloud_vocab.json`, built by
  `scripts/build_cloud_vocab.py`; Open Images names and MIDs CC BY 4.0, Google LLC);
- a shown label with a confident shown child (score >= `CONFIDENT`) is reported just below
  its best such child (`STEP` less), never above its own score: "Cat" 0.95 puts "Carnivore"
  at 0.94 and "Mammal" at 0.93;
- a label that holds most (`DOMINANT`, 60%) of an ancestor the model is sure of (at least
  `DOMINANT_FROM`, Google's floor) is the answer that ancestor stands for: it is reported at
  the ancestor's score and the labels between just below it, so the most specific label
  comes first and clears a provider's floor as a labeling API's top labels do ("Dog" 0.59 of
  "Animal" 0.64 is reported as "Dog" 0.64, "Carnivore" 0.63, ...; "Clock" 0.46 of
  "Measuring instrument" 0.59 passes Google's 0.5). A label sharing the score among several
  children (a cat-or-dog photo) keeps its order: "Animal" first;
- labels the application decides on (`keep`) are never capped; a customized model's
  (`fixed`) also keep the model's own scores, so the decisions it was customized for read
  exactly what it computes.

Labels the table does not know (a user's new leaves, an application's own strings) are shown
as they are. `mid_of` gives the Knowledge Graph MID Google reports in `EntityAnnotation.mid`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources

__all__ = [
    "CONFIDENT", "DOMINANT", "DOMINANT_FROM", "EVERYDAY", "FLOORS", "STEP", "alias_target", "dominates", "is_shown",
    "merge_objects", "mid_of", "present", "shown_parents",
    "with_aliases",
]

VOCAB_FILE = "cloud_vocab.json"
CONFIDENT = 0.8
DOMINANT = 0.6
DOMINANT_FROM = 0.5
STEP = 0.01
# The lowest label score a labeling API reports, where its request sets none (Google Cloud
# Vision returns labels from about 0.5; Azure and Rekognition apply their own floors).
FLOORS = {"google": 0.5}


@lru_cache(maxsize=1)
def _table() -> dict:
    text = (resources.files("chameleonapi.model") / "data" / VOCAB_FILE).read_text("utf-8")
    table = json.loads(text)
    table["shown_set"] = frozenset(table["shown"])
    table["known"] = frozenset(table["breadth"])
    table["mid_folded"] = {k.casefold(): v for k, v in table["mids"].items()}
    return table


def mid_of(label: str) -> str:
    """The Knowledge Graph MID of a label ("Cat" -> "/m/01yrx"), "" when Open Images lacks it."""
    table = _table()
    return table["mids"].get(label) or table["mid_folded"].get(label.casefold(), "")


def is_shown(label: str) -> bool:
    """Would a labeling API report this label? (Labels the table does not know: yes.)"""
    table = _table()
    return label in table["shown_set"] or label not in table["known"]


def shown_parents(labels: Iterable[str]) -> list[str]:
    """The labels a labeling API would report among `labels` (e.g. a label's ancestors)."""
    return [label for label in labels if is_shown(label)]


def present(ranked: Sequence[tuple[str, float]], keep: Iterable[str] = (), floor: float = 0.0,
            exempt: Iterable[str] = (), fixed: Iterable[str] | None = None) -> list[tuple[str, float]]:
    """A model's (label, score) answer as a labeling API gives it (see the module doc), in
    score order, without labels under `floor` (but those in `exempt`). Labels in `keep` are
    never capped; those in `fixed` (by default `keep`) are never lifted either."""
    table = _table()
    keep = frozenset(keep)
    fixed = keep if fixed is None else frozenset(fixed)
    exempt = frozenset(exempt)
    breadth, parents = table["breadth"], table["parents"]
    chosen = [(label, score) for label, score in ranked if label in keep or is_shown(label)]
    raw: dict[str, float] = {}
    for label, score in chosen:
        raw[label] = max(raw.get(label, 0.0), score)
    above: dict[str, set[str]] = {}

    def ancestors(label: str) -> set[str]:  # the label's shown ancestors in the answer, all levels up
        found = above.get(label)
        if found is None:
            found = above[label] = set()
            for parent in parents.get(label, ()):
                if parent in raw:
                    found |= {parent, *ancestors(parent)}
        return found

    lifted = [score if label in fixed else max([score, *(raw[a] for a in ancestors(label) if dominates(score, raw[a]))])
              for label, score in chosen]
    lifted_of: dict[str, float] = {}
    for (label, _), value in zip(chosen, lifted):
        lifted_of[label] = max(lifted_of.get(label, 0.0), value)
    cap: dict[str, float] = {}
    strong: set[str] = set()  # capped under a confident label
    served = [0.0] * len(chosen)
    for i in sorted(range(len(chosen)), key=lambda i: breadth.get(chosen[i][0], 0)):  # most specific first
        label, score = chosen[i]
        capped = label not in keep and label in cap
        value = min(lifted[i], cap[label]) if capped else lifted[i]
        served[i] = value
        sure = value >= CONFIDENT or (capped and label in strong)
        for parent in parents.get(label, ()):
            if sure:  # a confident label, or one below a confident descendant: its parents go below it
                cap[parent] = max(cap.get(parent, 0.0), value - STEP)
                strong.add(parent)
            elif parent in raw and score >= DOMINANT * raw[parent] and lifted[i] >= max(lifted_of[parent], DOMINANT_FROM):
                cap[parent] = max(cap.get(parent, 0.0), value - STEP)  # the label it stands for goes first
    rows = sorted(range(len(chosen)), key=lambda i: (-served[i], i))
    return [(chosen[i][0], served[i]) for i in rows if served[i] >= floor or chosen[i][0] in exempt]


def dominates(score: float, parent_score: float) -> bool:
    """Does a label scored `score` hold most (`DOMINANT`) of a parent the model is fairly sure
    of (`DOMINANT_FROM`)? It is then the answer the parent stands for: reported at the
    parent's confidence, the parent just below ("Clock" 0.46 of "Measuring instrument" 0.59)."""
    return parent_score >= DOMINANT_FROM and score >= DOMINANT * parent_score


# Everyday names apps compare against, for labels the space names otherwise (a labeling API
# reports "Smartphone" and "Pit bull" where ImageNet says "Cellular telephone" and
# "American Staffordshire terrier"). Detector classes have their own (`detection.coco`).
EVERYDAY: dict[str, str] = {
    "smartphone": "Cellular telephone", "cell phone": "Cellular telephone", "cellphone": "Cellular telephone",
    "mobile phone": "Cellular telephone", "communication device": "Telephone",
    "portable communications device": "Cellular telephone", "telephony": "Telephone",
    "pit bull": "American Staffordshire terrier", "pitbull": "American Staffordshire terrier",
    "american pit bull": "American Staffordshire terrier", "lab": "Labrador retriever", "labrador": "Labrador retriever",
    "rott": "Rottweiler", "yorkie": "Yorkshire terrier", "husky": "Siberian husky", "plastic bottle": "Water bottle",
    "canidae": "Canine", "felidae": "Feline", "gaming mouse": "Mouse", "computer mouse": "Mouse",
    "stemware": "Goblet", "wine": "Red wine", "pants": "Trouser", "trousers": "Trouser",
    "procyonidae": "Procyonid", "coffee cup": "Coffee mug",
}


def _key(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").split()).casefold()


@lru_cache(maxsize=1)
def _space_keys() -> dict[str, str]:
    return {_key(label): label for label in _table()["breadth"]}


def alias_target(text: str, detector_names: Sequence[str] = (), detector_aliases: dict[str, str] | None = None,
                 groups: bool = True) -> str | tuple[str, ...] | None:
    """The label an application's string means, when the answer names it otherwise: the same
    name up to case, hyphens and a plural ("Shih Tzu" -> "Shih-Tzu"), without a trailing
    "dog" ("Pug Dog" -> "Pug"), an everyday name (`EVERYDAY`), a detector class or its alias
    ("man" -> "Person"), or the label WordNet resolves it to ("automobile" -> "Car"); for a
    group name of the Open Images box hierarchy, the labels that each imply it ("Land
    vehicle" -> ("Car", "Bus", ...), `_group`). None when nothing reportable means it."""
    from chameleonapi.vocab import _singulars

    key = _key(text)
    candidates = [key, *_singulars(key)]
    if key.endswith(" dog") and len(key) > 4:
        candidates.append(key[:-4])
    detector = {_key(n): n for n in detector_names}
    aliases = {_key(k): v for k, v in (detector_aliases or {}).items()}
    space = _space_keys()
    for k in candidates:
        if k in space:
            return space[k]
        for table in (EVERYDAY, detector, aliases):
            if k in table:
                return space.get(_key(table[k]), table[k])
    from chameleonapi.model.labelspace import resolve_name

    place = resolve_name(text)
    if not place.new:
        return place.label
    if not groups:
        return None
    group = _group(candidates, tuple(detector_names), tuple(sorted((detector_aliases or {}).items())))
    return group or None


def _group(keys: Sequence[str], detector_names: tuple[str, ...], detector_aliases: tuple) -> tuple[str, ...]:
    """The labels that each imply a group name of the Open Images box hierarchy ("Land vehicle":
    Car, Bus, Bicycle, ...; its subcategories, all levels down, that `alias_target` resolves):
    the group is reported when one of them is, at the best one's score."""
    children = _children()
    name = next((children[k] for k in keys if k in children), None)
    if name is None:
        return ()
    found: dict[str, None] = {}
    todo, seen = [name], {name}
    table = _table()["openimages_children"]
    while todo:
        for child in table[todo.pop(0)]:
            target = alias_target(child, detector_names, dict(detector_aliases), groups=False)
            if isinstance(target, str):
                found[target] = None
            if _key(child) in children and child not in seen:
                seen.add(child)
                todo.append(child)
    return tuple(found)


@lru_cache(maxsize=1)
def _children() -> dict[str, str]:
    return {_key(name): name for name in _table().get("openimages_children", {})}


def with_aliases(shown: list[tuple[str, float]], scores: dict[str, float], texts: Iterable[str],
                 resolve, floor: float = 0.0) -> list[tuple[str, float]]:
    """`shown` plus, for each application string it lacks that means a scored label, that
    label's score under the application's own string (a group's: its best label's; the
    answer stays in score order)."""
    have = {label.casefold() for label, _ in shown}
    extra = []
    for text in texts:
        if text.casefold() in have:
            continue
        target = resolve(text)
        found = [scores[t] for t in ((target,) if isinstance(target, str) else target or ()) if t in scores]
        if found and max(found) >= floor:
            extra.append((text, max(found)))
            have.add(text.casefold())
    if not extra:
        return shown
    return sorted([*shown, *extra], key=lambda kv: -kv[1])


def merge_objects(ranked: Sequence[tuple[str, float]], objects: Sequence,
                  keep: Iterable[str] = ()) -> list[tuple[str, float]]:
    """The labels with each detected object's class (a photo with a person gets "Person", one
    with a pizza "Pizza", a dog the detector is sure of "Dog"), at the higher of the two
    scores, except the labels in `keep` (a customized model's decision labels); score order.
    The detector runs only for decisions that name one of its classes (it costs several
    labeling calls); its objects are then labels like any other."""
    keep = frozenset(keep)
    best: dict[str, float] = {}
    for det in objects:
        best[det.name] = max(best.get(det.name, 0.0), float(det.score))
    if not best:
        return list(ranked)
    merged = [(label, score if label in keep else max(score, best.get(label, 0.0))) for label, score in ranked]
    for label, _ in ranked:
        best.pop(label, None)
    return sorted([*merged, *best.items()], key=lambda kv: -kv[1])
