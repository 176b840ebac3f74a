"""Multi-select: every category whose labels are shown (tag the cat, the dog, the bird).

The decision is the set of categories the visible labels select; it is right when it is
exactly the set of true categories. The loss: sum_{c in G} R(S_c, T) + sum_{c not in G}
R(T, S_c) (DESIGN.md section 5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chameleonapi.decisions.base import Decision, LabelKind, Shape

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.spec import DecisionSpec, LabelScores

__all__ = ["MultiSelect"]


class MultiSelect(LabelKind):
    """Several categories that can hold at once: a collection filled, several flags set."""

    name = "multi_select"
    spec_kind = "multi_select"
    precedence = 30

    def decide(self, spec: DecisionSpec, label_scores: LabelScores) -> Decision:
        labels = [label for label, _ in spec.visible(label_scores)]
        return frozenset(name for label in labels for name in spec.categories_of(label))

    def is_correct(self, spec: DecisionSpec, decision: Decision, truth: frozenset[str]) -> bool:
        return frozenset(decision or ()) == truth

    def loss(self, scores: Any, truth: Any) -> Any:
        import torch

        truth = truth.bool()
        S = scores.category_scores()
        Tc = scores.cut_for(scores.cut_source(), S)
        return torch.where(truth, scores.R(S, Tc), scores.R(Tc, S)).sum(dim=1)

    def claims(self, shape: Shape) -> bool:
        return shape.target == "labels" and shape.several and (shape.categories > 1 or shape.open_labels)

    def examples(self) -> list[dict]:
        cats = [{"name": "cat", "labels": ["Cat"]}, {"name": "dog", "labels": ["Dog"]},
                {"name": "bird", "labels": ["Bird", "Parrot"]}]
        return [{"kind": self.spec_kind, "order": order, "categories": cats, "top_k": 5, "threshold": 0.4}
                for order in ("label", "category")]
