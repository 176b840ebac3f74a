"""What a decision kind is: one strategy object that owns everything a kind of decision means.

A kind answers five questions about a `DecisionSpec` of its kind: what the application
decides from an API output (`decide`), what it should have decided (`truth`) and whether a
decision is right (`is_correct`); how wrong it is on score tensors, as a loss that is zero
once every example is right by the margin (`loss`); which shapes of application code it
describes (`claims`, for the analysis); and how training examples are drawn
(`sample_weights`). `DecisionSpec` itself only holds data. torch is imported only by the
loss functions, so reading specs stays cheap.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from chameleonapi.spec import DecisionSpec, LabelScores

__all__ = ["Decision", "DecisionKind", "LabelKind", "Shape"]

# A category name (or None for "other"), or the set of selected categories (multi-select).
Decision = Union[str, None, frozenset]


@dataclass(frozen=True)
class Shape:
    """What the analysis saw of a decision's outcomes in the application's code.

    `categories` distinct outcomes; `several`: more than one can hold at once (a collection
    filled, several flags set); `open_labels`: the outcome is the label itself, known only at
    run time; `target`: `labels`, or `objects` for a count of reported objects.
    """

    categories: int
    several: bool = False
    open_labels: bool = False
    target: str = "labels"


class DecisionKind(ABC):
    """One kind of decision. Subclass, set the class attributes, `register` an instance.

    `name` is the registry key; `spec_kind` the value `DecisionSpec.kind` holds for it (what
    the JSON and the cached models' keys say); `precedence`: the analysis asks kinds in
    increasing precedence whether they claim a shape; `per_object`: the API output lists one
    entry per object, so a label may appear several times.
    """

    name: str = ""
    spec_kind: str = ""
    precedence: int = 100
    per_object: bool = False

    # ----------------------------------------------------------------- which specs
    def accepts(self, spec: DecisionSpec) -> bool:
        """Does this kind give `spec` its meaning?"""
        return spec.target == "labels" and spec.kind == self.spec_kind

    # ----------------------------------------------------------------- semantics
    @abstractmethod
    def decide(self, spec: DecisionSpec, label_scores: LabelScores) -> Decision:
        """What the application decides for this API output."""

    def truth(self, spec: DecisionSpec, true_labels: Iterable[str]) -> frozenset[str]:
        """The true categories: every category one of the true labels selects."""
        return frozenset(name for label in true_labels for name in spec.categories_of(label))

    @abstractmethod
    def is_correct(self, spec: DecisionSpec, decision: Decision, truth: frozenset[str]) -> bool:
        """Is `decision` right, given the true categories `truth` (from `truth`)?"""

    # ----------------------------------------------------------------- training
    @abstractmethod
    def loss(self, scores: Any, truth: Any) -> Any:
        """Per-example decision-aware loss [N] on score tensors built like `tensors` builds
        them: zero, with no gradient, for every example right by the margin; positive for
        every example decided wrong."""

    @abstractmethod
    def tensors(self, spec: DecisionSpec, outputs: Sequence[LabelScores],
                true_labels: Sequence[Sequence[str]], **options: float) -> tuple[Any, Any]:
        """(scores, truth) for `loss` from plain API outputs and each example's true labels.
        `scores.p` is the score tensor, a leaf that requires grad."""

    def sample_weights(self, spec: DecisionSpec, truth_sets: Sequence[frozenset[str]]) -> np.ndarray:
        """Sampling weights over training examples (sum 1), balanced over each example's first
        true category and "other"."""
        import numpy as np

        groups = [next((name for name in spec.category_names if name in cats), None) for cats in truth_sets]
        counts = Counter(groups)
        weights = np.array([1.0 / counts[g] for g in groups], dtype=np.float64)
        return weights / weights.sum()

    # ----------------------------------------------------------------- analysis
    @abstractmethod
    def claims(self, shape: Shape) -> bool:
        """Does code of this shape make a decision of this kind?"""

    def order_for(self, order: str) -> str:
        """The order a spec of this kind records for the order the code's shape suggests."""
        return order

    # ----------------------------------------------------------------- examples
    @abstractmethod
    def examples(self) -> list[dict]:
        """Small specs of this kind as `DecisionSpec.from_dict` data, one per order or variant
        it supports (docs, tests); plain data, so the kinds never import the spec type."""

    def __repr__(self) -> str:
        return f"<decision kind {self.name}>"


class LabelKind(DecisionKind):
    """A decision over the labels an API reports once each (top-k, then threshold)."""

    def tensors(self, spec: DecisionSpec, outputs: Sequence[LabelScores],
                true_labels: Sequence[Sequence[str]], **options: float) -> tuple[Any, Any]:
        import torch

        from chameleonapi.decisions.surrogate import Ranked

        names = list(dict.fromkeys(label for out in outputs for label, _ in out))
        column = {name: j for j, name in enumerate(names)}
        p = torch.zeros(len(outputs), len(names), dtype=torch.float64)
        for row, out in enumerate(outputs):
            for label, score in out:
                p[row, column[label]] = float(score)
        cats = spec.category_names
        member = torch.tensor([[c in spec.categories_of(n) for n in names] for c in cats], dtype=torch.bool)
        member = member.reshape(len(cats), len(names))
        truth = torch.zeros(len(outputs), len(cats), dtype=torch.bool)
        for row, labels in enumerate(true_labels):
            for name in self.truth(spec, labels):
                truth[row, cats.index(name)] = True
        ranked = Ranked(p.requires_grad_(True), member, spec.order, spec.top_k, spec.effective_threshold,
                        **options)
        return ranked, truth

