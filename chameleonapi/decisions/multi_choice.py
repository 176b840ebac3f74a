"""Multi-choice: one of several categories or "other" (cat, dog or neither?).

Decided and judged like true-false (the first match in label order, the last in `last`
order, the first category present in `category` order). In `category` order the loss, with
g the first true category: sum_{k<g} R(T, S_k) + R(S_g, max(T, max_{k<g} S_k)) + R(S_g, T);
none true: sum_k R(T, S_k) (DESIGN.md section 5).
"""

from __future__ import annotations

from typing import Any

from chameleonapi.decisions.base import Shape
from chameleonapi.decisions.true_false import TrueFalse, one_choice_loss

__all__ = ["MultiChoice", "category_order_loss"]


def category_order_loss(scores: Any, truth: Any) -> Any:
    """Per-example loss of if/elif over categories: the first true category must be shown
    and every category tested before it hidden."""
    import torch

    from chameleonapi.decisions.surrogate import masked_max

    truth = truth.bool()
    S = scores.category_scores()
    Tc = scores.cut_for(scores.cut_source(), S)
    C = S.shape[1]
    g = truth.float().argmax(dim=1)  # first present category
    before = torch.arange(C, device=S.device).unsqueeze(0) < g.unsqueeze(1)
    S_g = S.gather(1, g.unsqueeze(1)).squeeze(1)
    T_g = Tc.gather(1, g.unsqueeze(1)).squeeze(1)
    above = scores.R(Tc, S).masked_fill(~before, 0.0).sum(dim=1)
    lead = scores.R(S_g, torch.maximum(T_g, masked_max(S, before)))
    present = above + lead + scores.R(S_g, T_g)
    return torch.where(truth.any(dim=1), present, scores.R(Tc, S).sum(dim=1))


class MultiChoice(TrueFalse):
    """Several categories, at most one decided: an if/elif chain, a loop that stops at the
    first match, or a label itself returned."""

    name = "multi_choice"
    spec_kind = "multi_choice"
    precedence = 10

    def loss(self, scores: Any, truth: Any) -> Any:
        if scores.order == "category":
            return category_order_loss(scores, truth)
        return one_choice_loss(scores, truth)

    def claims(self, shape: Shape) -> bool:
        # the label itself as the outcome (known at run time) is one choice among many
        return shape.target == "labels" and not shape.several and (shape.open_labels or shape.categories > 1)

    def order_for(self, order: str) -> str:
        return order

    def examples(self) -> list[dict]:
        cats = [{"name": "cat", "labels": ["Cat"]}, {"name": "dog", "labels": ["Dog", "Puppy"]},
                {"name": "bird", "labels": ["Bird"]}]
        return [{"kind": self.spec_kind, "order": order, "categories": cats, "top_k": 4, "threshold": 0.5}
                for order in ("label", "category", "last")]
