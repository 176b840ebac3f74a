"""Detection losses: CenterNet focal + box L1, and the decision loss of an object count.

The decision loss is the object-count decision kind's (`chameleonapi.decisions.object_count`)
over the detector's locations: each location is a candidate object of the listed classes,
scored by its best listed class (its rival: the best other class). At the centre of a listed
object the candidate must beat its rival and the reporting threshold T; away from listed
objects it must stay below T. Cells next to a listed object's centre are ignored: decoding
suppresses them as non-peaks. When the application compares the count ("more than 3
sheep", `count_op`/`count`), only the errors that can flip that comparison in each image
are paid for; when it uses the count itself, every location is. Box regression is trained
exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from chameleonapi.decisions import get_kind
from chameleonapi.decisions.object_count import COUNT_OPS
from chameleonapi.decisions.surrogate import GAMMA, Counted

__all__ = ["DetectionDecisionLoss", "box_loss", "detection_loss", "focal_loss"]

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


class DetectionDecisionLoss:
    """The object-count kind's loss over the listed classes, plus the unchanged box loss."""

    def __init__(self, listed: Sequence[int], threshold: float, *, gamma: float = GAMMA, focal_anchor: float = 0.0,
                 count_op: str | None = None, count: int | None = None):
        if count_op is not None and (count_op not in COUNT_OPS or count is None):
            raise ValueError(f"count_op must be one of {COUNT_OPS} with a count, got {count_op!r}")
        self.listed = sorted(set(int(c) for c in listed))
        self.threshold = float(threshold)
        self.gamma = gamma
        self.focal_anchor = focal_anchor
        self.count_op, self.count = count_op, count
        self.kind = get_kind("object_count")

    def candidates(self, cls_logits: torch.Tensor, heat: torch.Tensor) -> tuple[Counted, torch.Tensor]:
        """Every location as a candidate object, and which are listed objects' centres."""
        p = torch.sigmoid(cls_logits)
        k = p.shape[1]
        listed = torch.tensor(self.listed, dtype=torch.long, device=p.device)
        others = torch.tensor([c for c in range(k) if c not in self.listed], dtype=torch.long, device=p.device)
        s_listed = p.index_select(1, listed).amax(1).flatten(1)
        s_other = p.index_select(1, others).amax(1).flatten(1) if len(others) else torch.zeros_like(s_listed)
        h_listed = heat.index_select(1, listed).amax(1).flatten(1)
        centre = h_listed.eq(1)
        valid = centre | h_listed.lt(NEAR)
        counted = Counted(s_listed, s_other, valid, self.threshold, self.count_op, self.count, gamma=self.gamma)
        return counted, centre

    def decision(self, cls_logits: torch.Tensor, heat: torch.Tensor) -> torch.Tensor:
        # Every image is a decision of its own: sum over its locations, average over images.
        return self.kind.loss(*self.candidates(cls_logits, heat)).mean()

    def __call__(self, cls_logits: torch.Tensor, box: torch.Tensor, tgt: dict[str, torch.Tensor]) -> torch.Tensor:
        heat = tgt["heat"].float()
        loss = self.decision(cls_logits, heat) + box_loss(box, tgt["reg"].float(), tgt["mask"].float())
        if self.focal_anchor:
            loss = loss + self.focal_anchor * focal_loss(cls_logits, heat)
        return loss
