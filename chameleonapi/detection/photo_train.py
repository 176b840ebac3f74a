"""The photo detector customized to an application's count decision, on the user's boxes.

Only the two head convolutions of YOLOv4-tiny train (what each reads is computed once per
photo); the rest of the network stays the COCO detector. Every anchor of a photo is a
candidate object of the object-count decision kind (`decisions/object_count.py`): its score
is the calibrated object x best-listed-class score, its rival the best other class. A true
object of a listed class is assigned to one anchor (the cell holding its centre, the anchor
shape that fits it best), which must beat its rival and the reporting cut T; an anchor whose
box overlaps no listed object (IoU < 0.4 with each) must stay below T; the others are
ignored (non-maximum suppression removes them). When the application compares the count,
an image pays only for the errors that can flip the comparison. An L2 pull towards the COCO
weights keeps the other classes as they were.

The serving gate: the photos are split by a stable hash (`boxes.split`); the customized
head is served only when its incorrect-decision rate on the held-out photos is lower than
the generic detector's (otherwise the generic detector serves, and the card says why).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from chameleonapi import services
from chameleonapi.detection.boxes import BoxPhoto
from chameleonapi.detection.coco import COCO_NAMES, calibrate, decode, grid_predictions, to_tensor
from chameleonapi.detection.model import box_iou
from chameleonapi.detection.policy import REPORT_FLOOR

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.detection.darknet import Darknet
    from chameleonapi.spec import DecisionSpec

__all__ = ["PhotoBudget", "PhotoCustomization", "count_spec", "customize_photo_detector", "decision_errors"]

IGNORE_IOU = 0.4


@dataclass(frozen=True)
class PhotoBudget:
    epochs: int = 60
    lr: float = 2e-3
    pull: float = 1e-2  # L2 towards the COCO head weights
    batch_size: int = 16
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


PHOTO_BUDGETS = {"default": PhotoBudget(), "tiny": PhotoBudget(epochs=8)}


@dataclass
class PhotoCustomization:
    """A trained head state (or None when the generic detector must serve) and its card."""

    state: dict[str, torch.Tensor] | None
    card: dict[str, Any] = field(default_factory=dict)


def count_spec(spec: DecisionSpec) -> tuple[str | None, int | None]:
    """(count_op, count) of an object decision; a presence test is "at least one"."""
    if spec.count_op is not None:
        return spec.count_op, spec.count
    if spec.target != "objects":
        return ">=", 1
    return None, None


def decision_errors(spec: DecisionSpec, outputs: Sequence[Sequence[Any]], photos: Sequence[BoxPhoto]) -> float:
    """Share of photos whose decision from the detections differs from the decision on the true
    boxes (the count itself: a wrong count is a wrong decision)."""
    wrong = 0
    for dets, photo in zip(outputs, photos):
        served = [(services.style(d.name, spec.provider), d.score) for d in dets]
        true = [services.style(COCO_NAMES[c], spec.provider) if c >= 0 else name for c, name, _ in photo.boxes]
        if spec.target == "objects" and spec.count_op is None:
            wrong += spec.count_objects(served) != sum(1 for t in true if spec.categories_of(t))
        else:
            wrong += not spec.is_correct(spec.decide(served), spec.decide_from_truth(true))
    return wrong / max(1, len(photos))


def _batches(photos: Sequence[BoxPhoto], batch: int):
    """The photos on disk as RGB images, `batch` at a time."""
    from PIL import Image

    for start in range(0, len(photos), batch):
        images = []
        for p in photos[start : start + batch]:
            with Image.open(p.path) as opened:
                images.append(opened.convert("RGB"))
        yield images


def _features(net: Darknet, photos: Sequence[BoxPhoto], batch: int = 8) -> list[list[torch.Tensor]]:
    out: list[list[torch.Tensor]] = []
    with torch.inference_mode():
        for images in _batches(photos, batch):
            feats = net.head_inputs(to_tensor(images, net.width, net.height))
            for i in range(len(images)):
                out.append([f[i : i + 1].clone() for f in feats])
    return out


def _assign(net: Darknet, photo: BoxPhoto, listed: set[int], boxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(truth [P] bool, valid [P] bool) over the photo's anchors, in `grid_predictions` order."""
    sizes, offsets, start = [], [], 0
    for layer, (h, w) in zip(net.yolo, _grids(net)):
        sizes.append((h, w))
        offsets.append(start)
        start += len(layer.anchors) * h * w
    truth = torch.zeros(start, dtype=torch.bool)
    listed_boxes = [b for c, _, b in photo.boxes if c in listed]
    for x0, y0, x1, y1 in listed_boxes:
        bw, bh = (x1 - x0) * net.width, (y1 - y0) * net.height
        best, where = -1.0, (0, 0)  # every fit beats -1: the best anchor always replaces it
        for li, layer in enumerate(net.yolo):
            for ai, (aw, ah) in enumerate(layer.anchors):
                inter = min(bw, aw) * min(bh, ah)
                fit = inter / (bw * bh + aw * ah - inter + 1e-9)
                if fit > best:
                    best, where = fit, (li, ai)
        li, ai = where
        h, w = sizes[li]
        gx = min(int((x0 + x1) / 2 * w), w - 1)
        gy = min(int((y0 + y1) / 2 * h), h - 1)
        truth[offsets[li] + (ai * h + gy) * w + gx] = True
    if listed_boxes:
        overlap = box_iou(boxes, torch.tensor(listed_boxes, dtype=boxes.dtype)).amax(1)
        valid = truth | (overlap < IGNORE_IOU)
    else:
        valid = torch.ones_like(truth)
    return truth, valid


def _grids(net: Darknet) -> list[tuple[int, int]]:
    """(rows, columns) of each yolo map."""
    return [(net.height // s, net.width // s) for s in _strides(net)]


def _strides(net: Darknet) -> list[int]:
    if not hasattr(net, "_strides"):
        with torch.inference_mode():
            maps = net(torch.zeros(1, 3, net.height, net.width))
        net._strides = [net.height // m.shape[2] for m in maps]  # type: ignore[attr-defined]
    return net._strides  # type: ignore[attr-defined]


def _candidates(net: Darknet, maps: list[torch.Tensor], listed: list[int]):
    """(p [N, P], rival [N, P], boxes [N, P, 4]) of every anchor."""
    boxes, obj, cls = grid_predictions(net, maps)
    probs = torch.sigmoid(obj).unsqueeze(-1) * torch.sigmoid(cls)
    others = [c for c in range(probs.shape[-1]) if c not in set(listed)]
    p = calibrate(probs[..., listed].amax(-1))
    rival = calibrate(probs[..., others].amax(-1))
    return p, rival, boxes


def customize_photo_detector(
    net: Darknet, photos: Sequence[BoxPhoto], held_out: Sequence[BoxPhoto], spec: DecisionSpec,
    listed: Sequence[int], threshold: float = REPORT_FLOOR, budget: PhotoBudget = PhotoBudget(),
) -> PhotoCustomization:
    """Train the heads on `photos` with the count-decision loss; gate on `held_out`."""
    from chameleonapi.decisions import get_kind
    from chameleonapi.decisions.surrogate import Counted

    start = time.perf_counter()
    torch.manual_seed(budget.seed)
    listed = sorted(set(int(c) for c in listed))
    op, count = count_spec(spec)
    feats = _features(net, photos)
    heads = [copy.deepcopy(net.layers[i]).train() for i in net.head_indices]
    for head in heads:
        for name, param in head.named_parameters():
            param.requires_grad_(not name.startswith("bn"))
    initial = [{k: v.detach().clone() for k, v in h.named_parameters()} for h in heads]
    with torch.no_grad():
        targets = []
        for f, photo in zip(feats, photos):
            maps = [net.layers[i](t) for i, t in zip(net.head_indices, f)]
            _, _, boxes = _candidates(net, maps, listed)
            targets.append(_assign(net, photo, set(listed), boxes[0]))
    kind = get_kind("object_count")
    params = [p for h in heads for p in h.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=budget.lr)
    generator = torch.Generator().manual_seed(budget.seed)
    history = []
    for _ in range(budget.epochs):
        order = torch.randperm(len(photos), generator=generator).tolist()
        for s in range(0, len(order), budget.batch_size):
            batch = order[s : s + budget.batch_size]
            inputs = [torch.cat([feats[i][k] for i in batch]) for k in range(len(heads))]
            for h in heads:
                h.eval()  # batch norm keeps the COCO statistics
            maps = [h(t) for h, t in zip(heads, inputs)]
            p, rival, _ = _candidates(net, maps, listed)
            truth = torch.stack([targets[i][0] for i in batch])
            valid = torch.stack([targets[i][1] for i in batch])
            counted = Counted(p.double(), rival.double(), valid, float(threshold), op, count)
            loss = kind.loss(counted, truth).mean()
            pull = sum(((q - initial[j][n]) ** 2).sum() for j, h in enumerate(heads) for n, q in h.named_parameters()
                       if q.requires_grad)
            total = loss + budget.pull * pull
            optimizer.zero_grad()
            total.backward()
            optimizer.step()
            history.append(float(loss.detach()))
    tuned = copy.deepcopy(net)
    for i, head in zip(net.head_indices, heads):
        tuned.layers[i] = head.eval()
    seconds = time.perf_counter() - start
    generic_rate = _rate(net, held_out, spec, threshold)
    tuned_rate = _rate(tuned, held_out, spec, threshold)
    served = tuned_rate < generic_rate
    card = {"loss": "chameleon", "listed": [COCO_NAMES[c] for c in listed], "threshold": threshold,
            "count_op": op, "count": count, "train_photos": len(photos), "held_out_photos": len(held_out),
            "seconds": round(seconds, 2), "budget": budget.to_dict(),
            "first_loss": history[0] if history else math.nan, "last_loss": history[-1] if history else math.nan,
            "validation": {"generic": generic_rate, "customized": tuned_rate,
                           "served": "customized" if served else "generic"}}
    state = {k: v.detach().contiguous() for k, v in tuned.state_dict().items()
             if any(k.startswith(f"layers.{i}.") for i in net.head_indices)}
    return PhotoCustomization(state if served else None, card)


def _rate(net: Darknet, photos: Sequence[BoxPhoto], spec: DecisionSpec, threshold: float) -> float:
    outputs = detect_photos(net, photos)
    return decision_errors(spec, [[d for d in dets if d.score >= threshold] for dets in outputs], photos)


def detect_photos(net: Darknet, photos: Sequence[BoxPhoto], batch: int = 8) -> list[list]:
    """The detector's answer (report floor) for photos on disk."""
    out: list[list] = []
    with torch.inference_mode():
        for images in _batches(photos, batch):
            out += decode(net, net(to_tensor(images, net.width, net.height)))
    return out
