"""The generic labeler's label space, and names resolved into it through WordNet.

The space is the 1000 ImageNet classes (leaves) and every label they are reported under
(their WordNet ancestors), exactly as `model/generic.py` serves them; a label's score is
the sum of its leaves' probabilities. Names a user gives photos ("automobile", "kitten",
"deer") resolve to a label of the space by case, plural, synonym and WordNet sense; a name
whose synset is not in the space becomes a new leaf under the nearest ancestors the space
has ("Deer" under "Ruminant", ...). Names WordNet does not know are reported as unresolved.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from chameleonapi.model.generic import label_membership, label_table
from chameleonapi.vocab import Vocabulary, _canon, _singulars, vocab_table

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["LabelSpace", "Placement", "place_sense", "resolve_name", "senses_of"]

WORDNET_FILE = "wordnet_nouns.json.gz"


@dataclass(frozen=True)
class Placement:
    """Where a user's name lands: an existing `label`, or a new leaf under `ancestors`."""

    name: str
    label: str
    ancestors: tuple[str, ...] = ()
    new: bool = False
    known: bool = True  # False: WordNet does not know the name (kept as a new label, reported)


@lru_cache(maxsize=1)
def wordnet() -> dict:
    blob = (resources.files("chameleonapi.model") / "data" / WORDNET_FILE).read_bytes()
    table = json.loads(gzip.decompress(blob))
    by_synset: dict[int, str] = {}
    for name, synsets in table["label_synsets"].items():
        for s in synsets:
            by_synset.setdefault(s, name)
    table["label_of_synset"] = by_synset
    return table


def _pretty(lemma: str) -> str:
    text = lemma.replace("_", " ").split("(")[0].strip()
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=1)
def _generic_lookup() -> dict[str, str]:
    labels, _ = label_membership()
    return {_canon(label): label for label in labels}


@lru_cache(maxsize=1)
def _hand_synonyms() -> dict[str, str]:
    """Everyday synonyms WordNet files elsewhere ("kitten" is a young mammal there)."""
    labels = _generic_lookup()
    return {_canon(k): labels[_canon(v)] for k, v in vocab_table()["synonyms"].items() if _canon(v) in labels}


def _synset_ancestors(index: int, table: dict) -> list[int]:
    seen: list[int] = []
    queue = list(table["synsets"][index][1])
    while queue:
        current = queue.pop(0)
        if current not in seen:
            seen.append(current)
            queue.extend(table["synsets"][current][1])
    return seen


def senses_of(text: str) -> list[int]:
    """WordNet noun senses of a name (any case, singular or plural), commonest first."""
    table = wordnet()
    key = _canon(text)
    for k in (key, *_singulars(key)):
        if k.replace(" ", "_") in table["senses"]:
            return list(table["senses"][k.replace(" ", "_")])
    return []


def place_sense(name: str, synset: int) -> Placement:
    """Where one WordNet sense of `name` lands: its label in the space, or a new leaf under
    the ancestors the space has (named by the sense, or by `name` when that is taken)."""
    table = wordnet()
    label_of = table["label_of_synset"]
    if synset in label_of:
        return Placement(name, label_of[synset])
    ancestors = [label_of[s] for s in _synset_ancestors(synset, table) if s in label_of]
    canonical = _pretty(table["synsets"][synset][0].split("|")[0])
    if _canon(canonical) in _generic_lookup():  # another synset already owns the name: keep the user's
        canonical = _pretty(name)
    return Placement(name, canonical, tuple(dict.fromkeys(ancestors)), new=True)


@lru_cache(maxsize=4096)
def resolve_name(name: str) -> Placement:
    """Resolve one user name (folder, CSV label, app string) into the label space, out of any
    application's context: a sense the space has, else WordNet's first sense."""
    key = _canon(name)
    labels, synonyms = _generic_lookup(), _hand_synonyms()
    for k in [key, *_singulars(key)]:
        if k in labels:
            return Placement(name, labels[k])
        if k in synonyms:
            return Placement(name, synonyms[k])
    senses = senses_of(name)
    if not senses:
        return Placement(name, _pretty(name), (), new=True, known=False)
    label_of = wordnet()["label_of_synset"]
    return place_sense(name, next((s for s in senses if s in label_of), senses[0]))


@dataclass
class LabelSpace:
    """ImageNet leaves + new leaves, and every label with the leaves it covers."""

    leaves: list[str]
    labels: list[str]
    members: list[list[int]]
    new_leaves: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def generic(cls) -> LabelSpace:
        return _generic_space()

    def extended(self, placements: Iterable[Placement]) -> LabelSpace:
        """This space plus a new leaf for each placement marked new (once per label)."""
        leaves, labels = list(self.leaves), list(self.labels)
        members = [list(m) for m in self.members]
        new_leaves = {k: list(v) for k, v in self.new_leaves.items()}
        index = {label: i for i, label in enumerate(labels)}
        for place in placements:
            if not place.new or place.label in index:
                continue
            leaf = len(leaves)
            leaves.append(place.label)
            new_leaves[place.label] = list(place.ancestors)
            index[place.label] = len(labels)
            labels.append(place.label)
            members.append([leaf])
            for ancestor in place.ancestors:
                if ancestor in index:
                    members[index[ancestor]].append(leaf)
        return LabelSpace(leaves, labels, members, new_leaves)

    def membership(self) -> torch.Tensor:
        """[n_leaves, n_labels] 0/1: label score = sum of its leaves' probabilities."""
        import torch

        out = torch.zeros(len(self.leaves), len(self.labels))
        for column, leaves in enumerate(self.members):
            out[leaves, column] = 1.0
        return out

    def truth(self, place: Placement) -> frozenset[str]:
        """A photo's true labels: its label and that label's ancestors in this space."""
        return frozenset([place.label, *self.ancestors(place.label)])

    def ancestors(self, label: str) -> list[str]:
        """Labels whose leaves include all of `label`'s leaves (its hypernyms in the space)."""
        if self is _generic_space():
            return list(_generic_ancestors(label))
        return _ancestors(self, label)

    def vocabulary(self) -> Vocabulary:
        """A `Vocabulary` over the space (lookups, app-label resolution, multi-hot targets)."""
        key = json.dumps(self.new_leaves, sort_keys=True)
        if len(self.leaves) != len(_generic_space().leaves) + len(self.new_leaves):
            return _vocabulary(self)
        return _cached_vocabulary(key)

    def to_dict(self) -> dict:
        return {"new_leaves": self.new_leaves}

    @classmethod
    def from_dict(cls, data: dict) -> LabelSpace:
        space = cls.generic()
        return space.extended(Placement(k, k, tuple(v), new=True) for k, v in (data.get("new_leaves") or {}).items())


def _vocabulary(space: LabelSpace) -> Vocabulary:
    by_leaf = _leaf_index(space)
    parents = {label: _ancestors_of_column(space, column, by_leaf) for column, label in enumerate(space.labels)}
    synonyms = {k: v for k, v in _hand_synonyms().items() if v in set(space.labels)}
    return Vocabulary(space.labels, parents, synonyms, space.leaves)


@lru_cache(maxsize=16)
def _cached_vocabulary(new_leaves: str) -> Vocabulary:
    space = _generic_space().extended(
        Placement(k, k, tuple(v), new=True) for k, v in json.loads(new_leaves).items())
    return _vocabulary(space)


def _ancestors(space: LabelSpace, label: str) -> list[str]:
    try:
        column = space.labels.index(label)
    except ValueError:
        return []
    return _ancestors_of_column(space, column, _leaf_index(space))


def _leaf_index(space: LabelSpace) -> list[set[int]]:
    """For each leaf, the label columns that cover it."""
    out: list[set[int]] = [set() for _ in space.leaves]
    for column, leaves in enumerate(space.members):
        for leaf in leaves:
            out[leaf].add(column)
    return out


def _ancestors_of_column(space: LabelSpace, column: int, by_leaf: list[set[int]]) -> list[str]:
    mine = space.members[column]
    if not mine:
        return []
    common = set.intersection(*(by_leaf[leaf] for leaf in mine))
    size = len(set(mine))
    out = [(len(space.members[c]), space.labels[c]) for c in common
           if c != column and len(space.members[c]) > size]
    return [name for _, name in sorted(out)]


@lru_cache(maxsize=4096)
def _generic_ancestors(label: str) -> tuple[str, ...]:
    return tuple(_ancestors(_generic_space(), label))


@lru_cache(maxsize=1)
def _generic_space() -> LabelSpace:
    labels, members = label_membership()
    leaves = [entry["label"] for entry in label_table()["classes"]]
    return LabelSpace(leaves, labels, members)

