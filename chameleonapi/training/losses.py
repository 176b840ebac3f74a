"""The paper's decision-aware loss (DESIGN.md section 5), `loss(logits, targets, truth)`.

`logits` [N, L] are the model's outputs over the label columns as logits, `truth` [N, C]
the true categories of the application's decision (bool); `targets` is unused (kept so a
loss has the signature of the usual multi-label ones):

- labels -> probabilities p = sigmoid(logits) (expanded to the outputs the app sees);
- category score S_c = max of p over the category's outputs;
- reporting cut T = max(p_(K+1), theta): with no K the cut is theta alone, with no theta
  it is p_(K+1) alone (0 when K covers every output), and with neither it is 0.5, a
  reporting cut for the loss only (the app then sees every label). Compared with a score
  a, the cut is what a must beat to be shown: p_(K+1) when a is inside the top K (as in
  the paper), p_K when it is outside. This keeps the gradient alive when a category's own
  label is the (K+1)-th score, where T = p_(K+1) = a would make R(a, T) flat. The cut
  passes gradient to the labels no category uses (hypernyms crowding the top K), not to
  category labels, which would otherwise push each other up when all must be hidden;
- pairwise surrogate R(a, b) = w * sigmoid(gamma * (b - a + m)) asks for a > b by the
  margin m; w = 5 when the order is violated (b > a), else 1. Once a pair holds by the
  margin (a - b >= m) it contributes nothing, so a model that already decides right by
  the margin gets no gradient (a hinge, as the tests check).

The per-kind part (which pairs each kind compares) is the decision kind's `loss`
(`chameleonapi.decisions`); this module adapts it to logits over a vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from chameleonapi.decisions import get_kind
from chameleonapi.decisions.surrogate import DEFAULT_CUT, GAMMA, MARGIN, VIOLATED_WEIGHT, Ranked, pairwise

__all__ = ["DEFAULT_CUT", "GAMMA", "MARGIN", "VIOLATED_WEIGHT", "DecisionLoss", "OutcomeLoss", "outcomes_of", "pairwise"]


class DecisionLoss(nn.Module):
    """The decision-aware loss of one application's decision process.

    `columns[c]` are the output indices that select category c, `source[j]` the logit
    column behind output j (aliases repeat a column), so `p = sigmoid(logits)[:, source]`
    is exactly the score vector the application ranks, top-k's and thresholds. The
    per-example loss is the decision kind's (`chameleonapi.decisions`).
    """

    def __init__(
        self,
        kind: str,
        order: str,
        columns: Sequence[Sequence[int]],
        source: Sequence[int],
        *,
        top_k: int | None = None,
        threshold: float | None = None,
        gamma: float = GAMMA,
        margin: float = MARGIN,
        violated_weight: float = VIOLATED_WEIGHT,
    ) -> None:
        super().__init__()
        if not 2.0 <= gamma <= 5.0:
            raise ValueError(f"gamma should lie in [2, 5], got {gamma}")
        self.kind, self.order = kind, order
        self.decision_kind = get_kind(kind)
        self.top_k, self.threshold = top_k, threshold
        self.gamma, self.margin, self.violated_weight = gamma, margin, violated_weight
        n_out = len(source)
        member = torch.zeros(len(columns), n_out, dtype=torch.bool)
        for c, cols in enumerate(columns):
            member[c, list(cols)] = True
        self.register_buffer("member", member, persistent=False)
        self.register_buffer("source", torch.as_tensor(list(source), dtype=torch.long), persistent=False)

    # ------------------------------------------------------------------ pieces
    def ranked(self, p: torch.Tensor) -> Ranked:
        """The scores `p` with this decision's categories and cut, as the kinds read them."""
        return Ranked(p, self.member, self.order, self.top_k, self.threshold,
                      self.gamma, self.margin, self.violated_weight)

    def outputs(self, logits: torch.Tensor) -> torch.Tensor:
        """p over the outputs the application sees."""
        return torch.sigmoid(logits)[:, self.source]

    def category_scores(self, p: torch.Tensor) -> torch.Tensor:
        """S [N, C]: max of p over each category's outputs (0 for a category nothing selects)."""
        return self.ranked(p).category_scores()

    def cut(self, p: torch.Tensor) -> torch.Tensor:
        """T [N] = max(p_(K+1), theta); see the module docstring for the missing cases."""
        return self.ranked(p).cut()

    def cut_for(self, p: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """The cut score(s) `a` [N] or [N, C] must beat to be shown: p_(K+1) inside the
        top K, p_K outside it; never below theta."""
        return self.ranked(p).cut_for(p, a)

    def R(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return pairwise(a, b, self.gamma, self.margin, self.violated_weight)

    # ------------------------------------------------------------------ the loss
    def per_example(self, p: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
        return self.decision_kind.loss(self.ranked(p), truth)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor | None, truth: torch.Tensor) -> torch.Tensor:
        return self.per_example(self.outputs(logits), truth).mean()


def outcomes_of(truth: Sequence[frozenset[str]]) -> tuple[list[int], int]:
    """Each class's decision outcome as an index (classes with the same true decision share
    one), and how many outcomes there are."""
    index: dict[frozenset[str], int] = {}
    ids = [index.setdefault(t, len(index)) for t in truth]
    return ids, len(index)


class OutcomeLoss(nn.Module):
    """Decision-aware cross-entropy on a class head's logits, for fine-tuning.

    `outcome[k]` is the application's decision outcome for class k (`outcomes_of`). The loss
    is the cross-entropy on the classes plus `weight` times the cross-entropy over the
    outcomes, whose logit is the log-sum-exp of the logits of the classes leading to it (the
    probability of an outcome is the sum of its classes'), divided by 1 + `weight` so the
    learning rates mean what they mean for the cross-entropy alone. A confusion between two
    classes of one outcome costs only the class term; one that flips the decision costs
    both, so the gradient goes hardest where this application's decision changes. Both terms
    take the same label smoothing, so when every class is an outcome of its own the loss is the
    cross-entropy exactly, and fine-tuning trains what the cross-entropy alone would.
    """

    def __init__(self, outcome: Sequence[int], *, weight: float = 1.0, label_smoothing: float = 0.0) -> None:
        super().__init__()
        ids = torch.as_tensor(list(outcome), dtype=torch.long)
        n = int(ids.max()) + 1 if len(ids) else 0
        self.register_buffer("outcome", ids, persistent=False)
        self.register_buffer("member", nn.functional.one_hot(ids, n).T.bool() if n else
                             torch.zeros((0, 0), dtype=torch.bool), persistent=False)  # [outcomes, classes]
        self.weight, self.label_smoothing = weight, label_smoothing

    def outcome_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """[N, outcomes]: log-sum-exp of the class logits of each outcome."""
        spread = logits.unsqueeze(1).masked_fill(~self.member, float("-inf"))
        return torch.logsumexp(spread, dim=2)

    def forward(self, logits: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        ce = nn.functional.cross_entropy(logits, classes, label_smoothing=self.label_smoothing)
        across = nn.functional.cross_entropy(self.outcome_logits(logits), self.outcome[classes],
                                             label_smoothing=self.label_smoothing)
        return (ce + self.weight * across) / (1.0 + self.weight)
