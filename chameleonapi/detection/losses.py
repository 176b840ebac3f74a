"""Detection losses: CenterNet focal + box L1, and the paper's per-location decision loss.

The decision loss treats every location as a small true-false decision the application
makes: "is one of my listed classes here, above my reporting threshold T?" At the centre of
a listed object the best listed score must beat both the best other class and T; everywhere
else (away from listed objects) the best listed score must stay below T. Cells next to a
listed object's centre are ignored: decoding suppresses them as non-peaks. Box regression
is trained exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

MARGIN = 0.1
VIOLATED_WEIGHT = 5.0
NEAR = 0.1  # heatmap value that marks a cell as "next to an object"


def focal_loss(cls_logits: torch.Tensor, heat: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss, normalized by the number of objects."""
    p = torch.sigmoid(cls_logits).clamp(1e-4, 1 - 1e-4)
    pos = heat.eq(1).float()
    pos_loss = torch.log(p) * (1 - p) ** 2 * pos
    neg_loss = torch.log(1 - p) * p**2 * (1 - heat) ** 4 * (1 - pos)
    n = pos.sum().clamp(min=1.0)
    return -(pos_loss.sum() + neg_loss.sum()) / n


def box_loss(box: torch.Tensor, reg: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L1 on centre offset and log size at object centres."""
    m = mask.unsqueeze(1)
    return (torch.abs(box - reg) * m).sum() / m.sum().clamp(min=1.0)


def detection_loss(cls_logits: torch.Tensor, box: torch.Tensor, tgt: dict[str, torch.Tensor]) -> torch.Tensor:
    """The standard (application-agnostic) loss."""
    return focal_loss(cls_logits, tgt["heat"].float()) + box_loss(box, tgt["reg"].float(), tgt["mask"].float())


def surrogate(a: torch.Tensor, b: torch.Tensor, gamma: float, margin: float = MARGIN) -> torch.Tensor:
    """R(a, b): penalise b coming within `margin` of a (weight 5 when b already wins)."""
    w = torch.where(b > a, torch.full_like(a, VIOLATED_WEIGHT), torch.ones_like(a))
    return w * torch.sigmoid(gamma * (b - a + margin))


class DetectionDecisionLoss:
    """Per location: max score over the listed classes vs max over the others, cut at T."""

    def __init__(self, listed: Sequence[int], threshold: float, *, gamma: float = 4.0, focal_anchor: float = 0.0):
        self.listed = sorted(set(int(c) for c in listed))
        self.threshold = float(threshold)
        self.gamma = gamma
        self.focal_anchor = focal_anchor

    def decision(self, cls_logits: torch.Tensor, heat: torch.Tensor) -> torch.Tensor:
        p = torch.sigmoid(cls_logits)
        k = p.shape[1]
        listed = torch.tensor(self.listed, dtype=torch.long)
        others = torch.tensor([c for c in range(k) if c not in self.listed], dtype=torch.long)
        s_listed = p.index_select(1, listed).amax(1)
        s_other = p.index_select(1, others).amax(1) if len(others) else torch.zeros_like(s_listed)
        h_listed = heat.index_select(1, listed).amax(1)
        t = torch.full_like(s_listed, self.threshold)
        centre = h_listed.eq(1)
        away = h_listed.lt(NEAR)
        # Every location is a decision of its own: sum over locations, average over images.
        # Cells far below T barely move (the sigmoid's slope is ~0 there); a stray peak
        # above T costs as much as a missed object, which is what a count needs.
        hit = surrogate(s_listed[centre], torch.maximum(s_other[centre], t[centre]), self.gamma).sum()
        miss = surrogate(t[away], s_listed[away], self.gamma).sum()
        return (hit + miss) / p.shape[0]

    def __call__(self, cls_logits: torch.Tensor, box: torch.Tensor, tgt: dict[str, torch.Tensor]) -> torch.Tensor:
        heat = tgt["heat"].float()
        loss = self.decision(cls_logits, heat) + box_loss(box, tgt["reg"].float(), tgt["mask"].float())
        if self.focal_anchor:
            loss = loss + self.focal_anchor * focal_loss(cls_logits, heat)
        return loss
