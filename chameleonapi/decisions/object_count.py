"""Object count: how many reported objects select the category, compared with a number
("more than 3 sheep"), or the count itself.

Each entry of the API output is one object. With `count_op`/`count` the decision names the
category when "count OP count" holds and is "other" (None) otherwise; without them the
application uses the count itself and the decision reports presence (count >= 1). The true
decision applies the same test to the true objects.

The loss works on candidate objects (a detector's locations). A true object must beat its
rivals and the reporting threshold T by the margin (a hit), any other candidate must stay
under T (no false report). A count decision only flips when enough candidates go wrong: with
n true objects, `down` misses or `up` false reports (the fewest that change "n OP count";
never when no such count exists). So each example pays for its `down`-th worst hit and its
`up`-th worst false report: zero once the decision holds by the margin, and only the
candidates that can flip it get gradient. The count itself is changed by every error, so
then every candidate pays.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chameleonapi.decisions.base import Decision, DecisionKind, Shape
from chameleonapi.decisions.true_false import choose_one, one_choice_correct

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.spec import DecisionSpec, LabelScores

__all__ = ["COUNT_OPS", "ObjectCount", "compare", "slack"]

COUNT_OPS = (">", ">=", "<", "<=", "==", "!=")


def compare(n: int, op: str, count: int) -> bool:
    """`n OP count`."""
    return {
        ">": n > count, ">=": n >= count, "<": n < count, "<=": n <= count, "==": n == count, "!=": n != count,
    }[op]


def slack(n: int, op: str | None, count: int | None) -> tuple[float, float]:
    """(misses, false reports): the fewest of each that change the decision of n true
    objects (inf where none can). The count itself changes with any error: (1, 1)."""
    if op is None or count is None:
        return (1.0 if n else math.inf), 1.0
    held = compare(n, op, count)
    down = next((d for d in range(1, n + 1) if compare(n - d, op, count) != held), math.inf)
    up = next((u for u in range(1, abs(count - n) + 2) if compare(n + u, op, count) != held), math.inf)
    return float(down), float(up)


@lru_cache(maxsize=64)
def _slack_table(m: int, op: str, count: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """`slack` for 0..m true objects, inf as 0 (a k-th worst that does not exist)."""
    table = [slack(n, op, count) for n in range(m + 1)]
    return (tuple(0 if math.isinf(d) else int(d) for d, _ in table),
            tuple(0 if math.isinf(u) else int(u) for _, u in table))


class ObjectCount(DecisionKind):
    """A count of reported objects (`target="objects"`), compared with a constant or used as is.

    Specs of this kind keep `kind="true_false"` (one category: the objects counted), so
    their JSON and hash are what they were before kinds were strategies.
    """

    name = "object_count"
    spec_kind = "true_false"
    precedence = 0
    per_object = True

    def accepts(self, spec: DecisionSpec) -> bool:
        return spec.target == "objects"

    def decide(self, spec: DecisionSpec, label_scores: LabelScores) -> Decision:
        if spec.count_op is None:
            return choose_one(spec, [label for label, _ in spec.visible(label_scores)])
        hit = compare(spec.count_objects(label_scores), spec.count_op, int(spec.count or 0))
        return spec.categories[0].name if hit and spec.categories else None

    def truth(self, spec: DecisionSpec, true_labels: Iterable[str]) -> frozenset[str]:
        """The decision on the true objects (one label per object)."""
        labels = list(true_labels)
        if spec.count_op is None:
            return super().truth(spec, labels)
        n = sum(1 for label in labels if spec.categories_of(label))
        held = compare(n, spec.count_op, int(spec.count or 0))
        return frozenset([spec.categories[0].name]) if held and spec.categories else frozenset()

    def is_correct(self, spec: DecisionSpec, decision: Decision, truth: frozenset[str]) -> bool:
        return one_choice_correct(decision, truth)

    def loss(self, scores: Any, truth: Any) -> Any:
        """Per-example loss [N] on `Counted` candidates; `truth` [N, M] marks true objects."""
        import torch

        from chameleonapi.decisions.surrogate import kth_largest

        truth = truth.bool() & scores.valid
        false = scores.valid & ~truth
        t = torch.full_like(scores.p, float(scores.threshold))
        hit = scores.R(scores.p, torch.maximum(scores.rival, t)).masked_fill(~truth, 0.0)
        report = scores.R(t, scores.p).masked_fill(~false, 0.0)
        if scores.count_op is None:
            return hit.sum(dim=1) + report.sum(dim=1)
        # the k-th worst of each; k = 0 (never flips) costs nothing
        downs, ups = _slack_table(scores.p.shape[1], scores.count_op, int(scores.count or 0))
        n_true = truth.sum(dim=1)
        down = torch.tensor(downs, device=n_true.device)[n_true]
        up = torch.tensor(ups, device=n_true.device)[n_true]
        return kth_largest(hit, down) + kth_largest(report, up)

    def tensors(self, spec: DecisionSpec, outputs: Sequence[LabelScores],
                true_labels: Sequence[Sequence[str]], **options: float) -> tuple[Any, Any]:
        """Each output entry is a candidate; true objects are matched to the candidates of
        their label in score order, and a true object with no candidate gets one at score 0."""
        import torch

        from chameleonapi.decisions.surrogate import DEFAULT_CUT, Counted

        rows = []
        for out, labels in zip(outputs, true_labels):
            left: dict[str, int] = {}
            for label in labels:
                if spec.categories_of(label):
                    left[label] = left.get(label, 0) + 1
            row = []
            for label, score in sorted(out, key=lambda ls: -ls[1]):
                counted = bool(spec.categories_of(label))
                real = counted and left.get(label, 0) > 0
                if real:
                    left[label] -= 1
                row.append((float(score) if counted else 0.0, 0.0 if counted else float(score), real))
            row += [(0.0, 0.0, True)] * sum(left.values())
            rows.append(row)
        m = max((len(r) for r in rows), default=0)
        p = torch.zeros(len(rows), m, dtype=torch.float64)
        rival = torch.zeros_like(p)
        valid = torch.zeros(len(rows), m, dtype=torch.bool)
        truth = torch.zeros_like(valid)
        for i, row in enumerate(rows):
            for j, (s, r, real) in enumerate(row):
                p[i, j], rival[i, j], valid[i, j], truth[i, j] = s, r, True, real
        threshold = spec.effective_threshold
        result = Counted(p.requires_grad_(True), rival, valid,
                         DEFAULT_CUT if threshold is None else float(threshold),
                         spec.count_op, spec.count, **options)
        return result, truth

    def claims(self, shape: Shape) -> bool:
        return shape.target == "objects"

    def order_for(self, order: str) -> str:
        return "category"

    def examples(self) -> list[dict]:
        cats = [{"name": "sheep", "labels": ["Sheep", "Lamb"]}]
        tests = [(op, 2) for op in COUNT_OPS] + [(None, None)]
        return [{"kind": self.spec_kind, "order": "category", "categories": cats, "threshold": 0.5,
                 "target": "objects", "count_op": op, "count": count} for op, count in tests]
