"""The paper's pairwise surrogate and the score tensors the kinds' losses compare.

Imported only by loss code (it imports torch). `pairwise` is R(a, b) = w * sigmoid(gamma *
(b - a + m)) with w = 5 when the order is violated: it asks for a > b by the margin m and
is exactly zero once a pair holds by the margin (a hinge), so a model that already decides
right by the margin gets no gradient.

`Ranked` holds what label decisions rank: the scores p [N, M] of the outputs the
application sees, which outputs select each category, and the reporting cut (top-k and
threshold). `Counted` holds what count decisions count: one candidate object per column.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["DEFAULT_CUT", "GAMMA", "MARGIN", "VIOLATED_WEIGHT", "Counted", "Ranked", "kth_largest",
           "masked_max", "pairwise"]

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


def masked_max(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Row max over masked entries; -1 (below any probability) where the mask is empty."""
    return torch.where(mask, scores, torch.full_like(scores, -1.0)).max(dim=1).values


def kth_largest(values: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Per row, the k-th largest of non-negative `values` [N, M]; 0 where k < 1 or k > M."""
    n, m = values.shape
    if m == 0:
        return values.new_zeros(n)
    ordered = values.sort(dim=1, descending=True).values
    ok = (k >= 1) & (k <= m)
    index = (k.clamp(1, m) - 1).long().unsqueeze(1)
    return torch.where(ok, ordered.gather(1, index).squeeze(1), values.new_zeros(n))


@dataclass
class Ranked:
    """Scores of the outputs a label decision ranks, and how it cuts them.

    `p` [N, M]: the probability of each output the application sees (aliases repeat a
    column); `member` [C, M]: the outputs that select each category; `top_k`/`threshold`:
    the reporting cut. With neither, the cut is DEFAULT_CUT, a cut for the loss only.
    """

    p: torch.Tensor
    member: torch.Tensor
    order: str = "label"
    top_k: int | None = None
    threshold: float | None = None
    gamma: float = GAMMA
    margin: float = MARGIN
    violated_weight: float = VIOLATED_WEIGHT

    def R(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return pairwise(a, b, self.gamma, self.margin, self.violated_weight)

    def category_scores(self, p: torch.Tensor | None = None) -> torch.Tensor:
        """S [N, C]: max of p over each category's outputs (0 for a category nothing selects)."""
        p = self.p if p is None else p
        member = self.member.to(p.device)
        expanded = torch.where(member.unsqueeze(0), p.unsqueeze(1), torch.zeros(1, dtype=p.dtype, device=p.device))
        return expanded.max(dim=2).values

    def cut_source(self) -> torch.Tensor:
        """p with the category outputs detached: the cut moves through the other labels
        only; a category's own outputs are moved by their S_c terms, never dragged up as
        "the cut" another category must beat."""
        return torch.where(self.member.any(dim=0).unsqueeze(0).to(self.p.device), self.p.detach(), self.p)

    def cut(self, p: torch.Tensor | None = None) -> torch.Tensor:
        """T [N] = max(p_(K+1), theta): theta alone with no K, p_(K+1) alone with no theta."""
        p = self.p if p is None else p
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


@dataclass
class Counted:
    """Candidate objects of a count decision, one per column (a detector's locations).

    `p` [N, M]: each candidate's best score over the counted classes; `rival` [N, M]: its
    best score over the other classes; `valid` [N, M]: candidates that take part (a
    detector ignores the cells next to an object's centre). The truth given with it marks
    the candidates that are real objects of the counted classes. A candidate is reported
    (counted) when p >= threshold.
    """

    p: torch.Tensor
    rival: torch.Tensor
    valid: torch.Tensor
    threshold: float = DEFAULT_CUT
    count_op: str | None = None
    count: int | None = None
    gamma: float = GAMMA
    margin: float = MARGIN
    violated_weight: float = VIOLATED_WEIGHT

    def R(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return pairwise(a, b, self.gamma, self.margin, self.violated_weight)
