"""A label's parents as a labeling API reports them (Rekognition's `Parents`), nearest first."""

from __future__ import annotations

from functools import lru_cache

from chameleonapi.model.cloud_vocab import shown_parents
from chameleonapi.model.generic import label_table

__all__ = ["parents_of"]


@lru_cache(maxsize=1)
def _ancestry() -> dict[str, tuple[str, ...]]:
    """Each label of the generic labeler → its ancestors in the label space, nearest first.

    Y is an ancestor of X when every ImageNet class reported as X is also reported as Y;
    labels covering the same classes are ordered as the WordNet table lists them.
    """
    chains = [[entry["label"], *entry["ancestors"]] for entry in label_table()["classes"]]
    members: dict[str, set[int]] = {}
    order: dict[str, int] = {}
    for index, chain in enumerate(chains):
        for name in chain:
            members.setdefault(name, set()).add(index)
            order.setdefault(name, len(order))
    table: dict[str, tuple[str, ...]] = {}
    for name, classes in members.items():
        common = set.intersection(*(set(chains[i]) for i in classes)) - {name}
        parents = [
            other for other in common if len(members[other]) > len(classes) or order[other] > order[name]
        ]
        parents.sort(key=lambda other: (len(members[other]), order[other]))
        table[name] = tuple(parents)
    return table


@lru_cache(maxsize=1)
def _folded() -> dict[str, tuple[str, ...]]:
    return {name.casefold(): parents for name, parents in _ancestry().items()}


def parents_of(label: str) -> tuple[str, ...]:
    """Ancestors of a model label, in any casing (none for a label the generic labeler lacks)."""
    found = _ancestry().get(label)
    found = found if found is not None else _folded().get(label.casefold(), ())
    return tuple(shown_parents(found))
