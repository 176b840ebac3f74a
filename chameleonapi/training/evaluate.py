"""Incorrect-decision rate: run the application's own decision (`spec.decide`) on model output.

The model's output is the whole vocabulary ranked by score, as the API returns it; the
spec applies its top-k and threshold exactly as the application sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.spec import DecisionSpec


def decisions(spec: DecisionSpec, names: Sequence[str], scores: np.ndarray) -> list:
    """`spec.decide` of each score row (names[j] is the label of column j).

    Only the labels the application sees (top-k, then threshold) that select a category
    can change a decision, so each row is cut to those, in score order, before `decide`:
    the same decisions, fast over a label space of thousands.
    """
    relevant = np.array([bool(spec.categories_of(name)) for name in names], dtype=bool)
    threshold = spec.effective_threshold
    out = []
    for row in np.asarray(scores, dtype=np.float64):
        order = np.argsort(-row, kind="stable")
        if spec.top_k is not None:
            order = order[: spec.top_k]
        if threshold is not None:
            order = order[row[order] >= threshold]
        order = order[relevant[order]]
        out.append(spec.decide([(names[j], float(row[j])) for j in order]))
    return out


def truth_categories(spec: DecisionSpec, names: Sequence[str], source: Sequence[int],
                     true_columns: Sequence[set[int]]) -> list[frozenset[str]]:
    """True categories of each example: the app's decision applied to its true labels."""
    cache: dict[frozenset[int], frozenset[str]] = {}
    out = []
    for cols in true_columns:
        key = frozenset(cols)
        if key not in cache:
            true_names = [name for name, src in zip(names, source) if src in key]
            cache[key] = spec.decide_from_truth(true_names)
        out.append(cache[key])
    return out


def incorrect_rate(spec: DecisionSpec, names: Sequence[str], scores: np.ndarray,
                   truth: Sequence[frozenset[str]]) -> float:
    """Fraction of examples where the app's decision on `scores` is wrong."""
    if len(truth) == 0:
        return 0.0
    wrong = sum(not spec.is_correct(d, t) for d, t in zip(decisions(spec, names, scores), truth))
    return wrong / len(truth)
