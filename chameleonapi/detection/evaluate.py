"""Detector metrics: mAP@0.5 (all-point interpolated AP per class) and the paper's
count-level metric for detection applications.

Count level, per image: the application counts the objects of its listed classes reported
at or above its threshold; against the true count, true positives are min(pred, true), false
positives the excess and false negatives the shortfall, summed over images into one F1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chameleonapi.detection.model import Detection
from chameleonapi.detection.scenes import SCENE_SIZE, DetScene, iou


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under the interpolated precision-recall curve (VOC 2010+ rule)."""
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[0.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    steps = np.nonzero(r[1:] != r[:-1])[0]
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def mean_ap(
    predictions: Sequence[Sequence[Detection]], scenes: Sequence[DetScene], num_classes: int, iou_threshold: float = 0.5
) -> tuple[float, list[float]]:
    """mAP over classes that occur, and AP per class (NaN where a class never occurs)."""
    aps: list[float] = []
    for c in range(num_classes):
        truth = {i: [b for k, b in zip(s.classes, s.boxes) if k == c] for i, s in enumerate(scenes)}
        n_true = sum(len(v) for v in truth.values())
        if n_true == 0:
            aps.append(float("nan"))
            continue
        used = {i: [False] * len(v) for i, v in truth.items()}
        dets = [(d.score, i, d.box) for i, ds in enumerate(predictions) for d in ds if d.cls == c]
        dets.sort(key=lambda t: -t[0])
        tp = np.zeros(len(dets))
        for j, (_, i, box) in enumerate(dets):
            pix = tuple(v * SCENE_SIZE for v in box)
            overlaps = [iou(pix, b) for b in truth[i]]
            if overlaps:
                best = int(np.argmax(overlaps))
                if overlaps[best] >= iou_threshold and not used[i][best]:
                    used[i][best] = True
                    tp[j] = 1
        ctp = np.cumsum(tp)
        recall = ctp / n_true
        precision = ctp / np.maximum(np.arange(1, len(dets) + 1), 1)
        aps.append(average_precision(recall, precision))
    valid = [a for a in aps if not np.isnan(a)]
    return (float(np.mean(valid)) if valid else 0.0), aps


@dataclass(frozen=True)
class CountScore:
    """Summed count-level outcome of one detector on one application."""

    tp: int
    fp: int
    fn: int
    exact: float  # share of images whose count is exactly right

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else 1.0


def predicted_count(dets: Sequence[Detection], listed: Sequence[int], threshold: float) -> int:
    return sum(1 for d in dets if d.cls in listed and d.score >= threshold)


def count_score(
    predictions: Sequence[Sequence[Detection]], scenes: Sequence[DetScene], listed: Sequence[int], threshold: float
) -> CountScore:
    """The paper's count-level metric over images."""
    tp = fp = fn = exact = 0
    for dets, scene in zip(predictions, scenes):
        pred = predicted_count(dets, listed, threshold)
        true = sum(1 for c in scene.classes if c in listed)
        tp += min(pred, true)
        fp += max(0, pred - true)
        fn += max(0, true - pred)
        exact += pred == true
    return CountScore(tp, fp, fn, exact / max(len(scenes), 1))
