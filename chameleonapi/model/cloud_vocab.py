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
  at 0.94 and "Mammal" at 0.93, while a cat photo the labeler is unsure about still gets
  "Animal" first;
- labels the application decides on (`keep`) are shown with the model's own scores, so the
  decisions a model was customized for read exactly what it computes.

Labels the table does not know (a user's new leaves, an application's own strings) are shown
as they are. `mid_of` gives the Knowledge Graph MID Google reports in `EntityAnnotation.mid`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources

__all__ = ["CONFIDENT", "STEP", "is_shown", "mid_of", "present", "shown_parents"]

VOCAB_FILE = "cloud_vocab.json"
CONFIDENT = 0.8
STEP = 0.01


@lru_cache(maxsize=1)
def _table() -> dict:
    text = resources.files("chameleonapi.model").joinpath("data", VOCAB_FILE).read_text("utf-8")
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


def present(ranked: Sequence[tuple[str, float]], keep: Iterable[str] = ()) -> list[tuple[str, float]]:
    """A model's (label, score) answer as a labeling API gives it (see the module doc), in score order."""
    table = _table()
    keep = frozenset(keep)
    breadth, parents = table["breadth"], table["parents"]
    chosen = [(label, score) for label, score in ranked if label in keep or is_shown(label)]
    order = sorted(range(len(chosen)), key=lambda i: breadth.get(chosen[i][0], 0))
    cap: dict[str, float] = {}
    served = [0.0] * len(chosen)
    for i in order:
        label, score = chosen[i]
        capped = label not in keep and label in cap
        if capped:
            score = min(score, cap[label])
        served[i] = score
        if score >= CONFIDENT or capped:  # a confident label, or one below a confident descendant
            for parent in parents.get(label, ()):
                cap[parent] = max(cap.get(parent, 0.0), score - STEP)
    rows = sorted(range(len(chosen)), key=lambda i: (-served[i], i))
    return [(chosen[i][0], served[i]) for i in rows]
