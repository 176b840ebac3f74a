"""Training losses, swappable modules with one signature: `loss(logits, targets, truth)`.

`logits` [N, L] are the model's raw outputs over the vocabulary, `targets` [N, L] the
multi-hot true labels, `truth` [N, C] the true categories of the application's decision
(bool). `BCELoss` is what a generic API is trained with; `DecisionLoss` is the paper's
decision-aware loss (DESIGN.md section 5):

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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.spec import DecisionSpec
    from chameleonapi.vocab import Resolution

MARGIN = 0.1
GAMMA = 4.0
VIOLATED_WEIGHT = 5.0
DEFAULT_CUT = 0.5


def pairwise(a: torch.Tensor, b: torch.Tensor, gamma: float = GAMMA, margin: float = MARGIN,
             violated_weight: float = VIOLATED_WEIGHT) -> torch.Tensor:
    """R(a, b): penalty unless a exceeds b by the margin (elementwise)."""
    z = b - a + margin
    weight = torch.where(b > a, torch.full_like(z, violated_weight), torch.ones_like(z))
    return torch.where(z > 0, weight * torch.sigmoid(gamma * z), torch.zeros_like(z))


def _masked_max(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Row max over masked entries; -1 (below any probability) where the mask is empty."""
    return torch.where(mask, scores, torch.full_like(scores, -1.0)).max(dim=1).values


class BCELoss(nn.Module):
    """Standard multi-label binary cross-entropy over the vocabulary."""

    def forward(self, logits: torch.Tensor, targets: torch.Tensor, truth: torch.Tensor | None = None) -> torch.Tensor:
        return nn.functional.binary_cross_entropy_with_logits(logits, targets)


class DecisionLoss(nn.Module):
    """The decision-aware loss of one application's decision process.

    `columns[c]` are the output indices that select category c, `source[j]` the logit
    column behind output j (aliases repeat a column), so `p = sigmoid(logits)[:, source]`
    is exactly the score vector the application ranks, top-k's and thresholds.
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
        self.top_k, self.threshold = top_k, threshold
        self.gamma, self.margin, self.violated_weight = gamma, margin, violated_weight
        n_out = len(source)
        member = torch.zeros(len(columns), n_out, dtype=torch.bool)
        for c, cols in enumerate(columns):
            member[c, list(cols)] = True
        self.register_buffer("member", member, persistent=False)
        self.register_buffer("source", torch.as_tensor(list(source), dtype=torch.long), persistent=False)

    @classmethod
    def from_spec(cls, spec: DecisionSpec, resolution: Resolution, **kwargs: float) -> DecisionLoss:
        return cls(spec.kind, spec.order, resolution.columns, resolution.source,
                   top_k=spec.top_k, threshold=spec.effective_threshold, **kwargs)

    # ------------------------------------------------------------------ pieces
    def outputs(self, logits: torch.Tensor) -> torch.Tensor:
        """p over the outputs the application sees."""
        return torch.sigmoid(logits)[:, self.source]

    def category_scores(self, p: torch.Tensor) -> torch.Tensor:
        """S [N, C]: max of p over each category's outputs (0 for a category nothing selects)."""
        expanded = torch.where(self.member.unsqueeze(0), p.unsqueeze(1), torch.zeros(1, dtype=p.dtype))
        return expanded.max(dim=2).values

    def cut(self, p: torch.Tensor) -> torch.Tensor:
        """T [N] = max(p_(K+1), theta); see the module docstring for the missing cases."""
        n = p.shape[0]
        kth = None
        if self.top_k is not None:
            if self.top_k < p.shape[1]:
                kth = torch.topk(p, self.top_k + 1, dim=1).values[:, self.top_k]
            else:
                kth = p.new_zeros(n)
        if self.threshold is not None:
            theta = p.new_full((n,), float(self.threshold))
            return theta if kth is None else torch.maximum(kth, theta)
        return kth if kth is not None else p.new_full((n,), DEFAULT_CUT)

    def cut_for(self, p: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """The cut score(s) `a` [N] or [N, C] must beat to be shown: p_(K+1) inside the
        top K, p_K outside it; never below theta."""
        squeeze = a.dim() == 1
        a2 = a.unsqueeze(1) if squeeze else a
        n = p.shape[0]
        cut = None
        if self.top_k is not None:
            if 0 < self.top_k < p.shape[1]:
                top = torch.topk(p, self.top_k + 1, dim=1).values
                kth, next_ = top[:, self.top_k - 1 : self.top_k], top[:, self.top_k : self.top_k + 1]
                cut = torch.where(a2 >= kth, next_, kth)
            elif self.top_k == 0:
                cut = torch.ones_like(a2)
            else:
                cut = torch.zeros_like(a2)
        if self.threshold is not None:
            theta = p.new_full((n, 1), float(self.threshold)).expand_as(a2)
            cut = theta if cut is None else torch.maximum(cut, theta)
        if cut is None:
            cut = torch.full_like(a2, DEFAULT_CUT)
        return cut.squeeze(1) if squeeze else cut

    def R(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return pairwise(a, b, self.gamma, self.margin, self.violated_weight)

    # ------------------------------------------------------------------ the loss
    def per_example(self, p: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
        truth = truth.bool()
        S = self.category_scores(p)
        # The cut moves through the other labels only: a category's own outputs are moved by
        # their S_c terms, never dragged up as "the cut" another category must beat.
        p = torch.where(self.member.any(dim=0).unsqueeze(0), p.detach(), p)
        Tc = self.cut_for(p, S)  # [N, C]: the cut each category's score is compared with
        any_true = truth.any(dim=1)
        none_true_all = self.R(Tc, S).sum(dim=1)
        if self.kind == "multi_select":
            return torch.where(truth, self.R(S, Tc), self.R(Tc, S)).sum(dim=1)
        if self.kind == "multi_choice" and self.order == "category":
            C = S.shape[1]
            g = truth.float().argmax(dim=1)  # first present category
            before = torch.arange(C, device=S.device).unsqueeze(0) < g.unsqueeze(1)
            S_g = S.gather(1, g.unsqueeze(1)).squeeze(1)
            T_g = Tc.gather(1, g.unsqueeze(1)).squeeze(1)
            above = self.R(Tc, S).masked_fill(~before, 0.0).sum(dim=1)
            lead = self.R(S_g, torch.maximum(T_g, _masked_max(S, before)))
            present = above + lead + self.R(S_g, T_g)
            return torch.where(any_true, present, none_true_all)
        best_true = _masked_max(S, truth)
        T_best = self.cut_for(p, best_true)
        if self.order == "last":
            # the last visible match wins: every wrong category under the cut, a right one above
            wrong = self.R(Tc, S).masked_fill(truth, 0.0).sum(dim=1)
            present = wrong + self.R(best_true, T_best)
        else:
            present = self.R(best_true, torch.maximum(_masked_max(S, ~truth), T_best))
        if S.shape[1]:
            top = S.max(dim=1).values
            absent = self.R(self.cut_for(p, top), top)
        else:
            absent = torch.zeros_like(any_true, dtype=p.dtype)
        return torch.where(any_true, present, absent)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor | None, truth: torch.Tensor) -> torch.Tensor:
        return self.per_example(self.outputs(logits), truth).mean()


class MixedLoss(nn.Module):
    """Decision loss plus a small BCE anchor (keeps every label's score calibrated)."""

    def __init__(self, decision: DecisionLoss, bce_weight: float = 0.1) -> None:
        super().__init__()
        self.decision, self.bce, self.bce_weight = decision, BCELoss(), bce_weight

    def forward(self, logits: torch.Tensor, targets: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
        loss = self.decision(logits, targets, truth)
        if self.bce_weight:
            loss = loss + self.bce_weight * self.bce(logits, targets)
        return loss
