"""True-false: one category or "other" (is there a cat?).

The decision walks the visible labels: in `label` order the first label that selects a
category decides, in `last` order the last one, in `category` order the first category (in
the code's order) that any visible label selects. It is right when it names a true category,
or "other" (None) when none is true. The loss (DESIGN.md section 5), with G the true
categories and T the cut: G != {}: R(max_{c in G} S_c, max(max_{c not in G} S_c, T));
G = {}: R(T, max_c S_c); in `last` order every wrong category must stay under the cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chameleonapi.decisions.base import Decision, LabelKind, Shape

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.spec import DecisionSpec, LabelScores

__all__ = ["TrueFalse", "choose_one", "one_choice_correct", "one_choice_loss"]


def choose_one(spec: DecisionSpec, labels: Sequence[str]) -> str | None:
    """The category a single-choice decision picks from the visible labels (score order)."""
    if spec.order == "category":
        present = {name for label in labels for name in spec.categories_of(label)}
        return next((c.name for c in spec.categories if c.name in present), None)
    chosen: str | None = None
    for label in labels:
        hit = spec.categories_of(label)
        if hit:
            chosen = hit[0]
            if spec.order == "label":
                return chosen
    return chosen


def one_choice_correct(decision: Decision, truth: frozenset[str]) -> bool:
    """The paper's correctness for one choice: a present category, or "other" when none is."""
    if decision is None:
        return not truth
    return decision in truth


def one_choice_loss(scores: Any, truth: Any) -> Any:
    """Per-example loss of a decision that picks one category in label or last order."""
    import torch

    from chameleonapi.decisions.surrogate import masked_max

    truth = truth.bool()
    S = scores.category_scores()
    p = scores.cut_source()
    any_true = truth.any(dim=1)
    best_true = masked_max(S, truth)
    T_best = scores.cut_for(p, best_true)
    if scores.order == "last":
        # the last visible match wins: every wrong category under the cut, a right one above
        Tc = scores.cut_for(p, S)
        wrong = scores.R(Tc, S).masked_fill(truth, 0.0).sum(dim=1)
        present = wrong + scores.R(best_true, T_best)
    else:
        present = scores.R(best_true, torch.maximum(masked_max(S, ~truth), T_best))
    if S.shape[1]:
        top = S.max(dim=1).values
        absent = scores.R(scores.cut_for(p, top), top)
    else:
        absent = torch.zeros_like(any_true, dtype=p.dtype)
    return torch.where(any_true, present, absent)


class TrueFalse(LabelKind):
    """One category: the code tests for it and otherwise does nothing (or the opposite)."""

    name = "true_false"
    spec_kind = "true_false"
    precedence = 20

    def decide(self, spec: DecisionSpec, label_scores: LabelScores) -> Decision:
        return choose_one(spec, [label for label, _ in spec.visible(label_scores)])

    def is_correct(self, spec: DecisionSpec, decision: Decision, truth: frozenset[str]) -> bool:
        return one_choice_correct(decision, truth)

    def loss(self, scores: Any, truth: Any) -> Any:
        return one_choice_loss(scores, truth)

    def claims(self, shape: Shape) -> bool:
        # matching labels collected, which ones known only at run time: a selection, not a flag
        return shape.target == "labels" and shape.categories == 1 and not (shape.several and shape.open_labels)

    def order_for(self, order: str) -> str:
        return "label" if order == "last" else order  # one category: first and last match alike

    def examples(self) -> list[dict]:
        cats = [{"name": "cat", "labels": ["Cat", "Kitten"]}]
        return [{"kind": self.spec_kind, "order": order, "categories": cats, "threshold": 0.5}
                for order in ("label", "category")]
