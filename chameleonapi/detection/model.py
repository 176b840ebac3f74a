"""The local detector: a frozen ImageNet trunk, a small trained neck and a CenterNet-like head.

The trunk is timm `tf_efficientnet_lite0` (real ImageNet weights, `create_backbone()`) cut in
two frozen parts: stem + `blocks[:3]` gives C3 (40 ch, stride 8) and `blocks[3:5]` gives C4
(112 ch, stride 16). Both are computed once per training set and cached, so only the neck and
head train on a CPU. The neck lifts C4 to stride 8 and adds C3; the head predicts, per
location, one sigmoid score per class (a peak marks an object's centre) and a box (sub-cell
centre offset and log width/height in cells). Anchor-free: decoding keeps local maxima
(3x3 max-pool), then per-class NMS drops any duplicate left.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from chameleonapi.detection.scenes import NAMES

STRIDE = 8
C3_CHANNELS, C4_CHANNELS = 40, 112
WIDTH = 64
PRIOR = 0.05


@dataclass(frozen=True)
class Detection:
    """One detected object: class index, name, score and box normalized to [0, 1]."""

    cls: int
    name: str
    score: float
    box: tuple[float, float, float, float]


def as_box(values: Sequence[float]) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) as floats, from any sequence of four numbers."""
    x0, y0, x1, y1 = values
    return float(x0), float(y0), float(x1), float(y1)


class Trunk(nn.Module):
    """Frozen ImageNet trunk: image [N,3,H,W] in [-1,1] -> (C3, C4)."""

    def __init__(self, backbone=None) -> None:
        super().__init__()
        if backbone is None:
            from chameleonapi.model.backbone import create_backbone

            backbone = create_backbone(pretrained=True)
        self.stem = nn.Sequential(backbone.conv_stem, backbone.bn1, *backbone.blocks[:3])
        self.mid = nn.Sequential(*backbone.blocks[3:5])
        self.eval()
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        c3 = self.stem(x)
        return c3, self.mid(c3)


def _sep(channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False),
        nn.Conv2d(channels, channels, 1, bias=False),
        nn.BatchNorm2d(channels),
        nn.ReLU(inplace=True),
    )


class Head(nn.Module):
    """Trained part: (C3, C4) -> (class logits [N,K,H,W], box [N,4,H,W]) at stride 8."""

    def __init__(self, num_classes: int = len(NAMES), width: int = WIDTH) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.lat4 = nn.Sequential(nn.Conv2d(C4_CHANNELS, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(True))
        self.ctx4 = nn.Sequential(_sep(width), _sep(width))
        self.lat3 = nn.Sequential(nn.Conv2d(C3_CHANNELS, width, 1, bias=False), nn.BatchNorm2d(width))
        self.ctx3 = nn.Sequential(_sep(width), _sep(width))
        self.cls = nn.Sequential(_sep(width), nn.Conv2d(width, num_classes, 1))
        self.box = nn.Sequential(_sep(width), nn.Conv2d(width, 4, 1))
        nn.init.constant_(self.cls[-1].bias, -math.log((1 - PRIOR) / PRIOR))

    def forward(self, c3: torch.Tensor, c4: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        p4 = self.ctx4(self.lat4(c4))
        p3 = F.interpolate(p4, size=c3.shape[-2:], mode="nearest") + self.lat3(c3)
        p3 = self.ctx3(F.relu(p3))
        return self.cls(p3), self.box(p3)


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices kept by greedy non-maximum suppression, best score first."""
    order = scores.argsort(descending=True)
    keep: list[int] = []
    while order.numel():
        i = int(order[0])
        keep.append(i)
        if order.numel() == 1:
            break
        rest = order[1:]
        overlap = box_iou(boxes[i : i + 1], boxes[rest])[0]
        order = rest[overlap <= iou_threshold]
    return torch.as_tensor(keep, dtype=torch.long)


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU [P, T] of xyxy boxes a [P, 4] and b [T, 4]."""
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(-1)
    return inter / (area_a[:, None] + area_b[None, :] - inter).clamp(min=1e-9)


def decode(
    cls_logits: torch.Tensor,
    box: torch.Tensor,
    *,
    min_score: float = 0.05,
    max_detections: int = 50,
    nms_iou: float = 0.6,
    names: Sequence[str] = NAMES,
) -> list[list[Detection]]:
    """Per image, detections sorted by score (boxes normalized to the input's size)."""
    n, k, h, w = cls_logits.shape
    scores = torch.sigmoid(cls_logits.float())
    peaks = scores == F.max_pool2d(scores, 3, stride=1, padding=1)
    scores = scores * peaks
    out: list[list[Detection]] = []
    size_x, size_y = float(w * STRIDE), float(h * STRIDE)
    for b in range(n):
        flat = scores[b].reshape(-1)
        top = flat.topk(min(max_detections * 2, flat.numel()))
        chosen = top.indices[top.values >= min_score]
        vals = flat[chosen]
        cls = chosen // (h * w)
        cell = chosen % (h * w)
        gy, gx = (cell // w).float(), (cell % w).float()
        reg = box[b].float().reshape(4, -1)[:, cell]
        cx = (gx + reg[0]) * STRIDE
        cy = (gy + reg[1]) * STRIDE
        bw = reg[2].clamp(-4, 4).exp() * STRIDE
        bh = reg[3].clamp(-4, 4).exp() * STRIDE
        boxes = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], dim=1)
        boxes[:, 0::2] = (boxes[:, 0::2] / size_x).clamp(0, 1)
        boxes[:, 1::2] = (boxes[:, 1::2] / size_y).clamp(0, 1)
        dets: list[Detection] = []
        for c in cls.unique().tolist():
            idx = (cls == c).nonzero().flatten()
            kept = idx[nms(boxes[idx], vals[idx], nms_iou)]
            dets += [
                Detection(int(c), names[int(c)], float(vals[i]), as_box(boxes[i].tolist()))
                for i in kept.tolist()
            ]
        dets.sort(key=lambda d: -d.score)
        out.append(dets[:max_detections])
    return out
