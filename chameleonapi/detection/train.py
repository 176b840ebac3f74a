"""Training the detector head on cached trunk features: generic, basic or chameleon.

- `generic`: every training scene, focal + box loss, no application in mind (the cloud API);
- `basic`: the generic head fine-tuned on the application's relevant data (scenes holding
  its listed classes drawn as often as the rest), focal + box loss only;
- `chameleon`: the same data and budget; stage 1 focal + box, stage 2 the decision loss
  (`losses.DetectionDecisionLoss`, the object-count decision kind's loss, shaped by the
  application's count comparison when `customize` is given its decision) + the unchanged
  box loss at a ~10x lower learning rate.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from chameleonapi import config
from chameleonapi.detection import losses
from chameleonapi.detection.model import STRIDE, Head
from chameleonapi.detection.scenes import NAMES, SCENE_SIZE, DetScene, fingerprint, render, sample_scenes

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.spec import DecisionSpec

LOSSES = ("generic", "basic", "chameleon")
FEATURE_VERSION = 1


@dataclass(frozen=True)
class DetBudget:
    """How much data and compute one detector training may use."""

    train_scenes: int = 4000
    epochs: int = 12
    lr: float = 3e-3
    batch_size: int = 64
    app_epochs: int = 2
    decision_epochs: int = 4
    decision_lr: float = 3e-4
    gamma: float = 4.0
    focal_anchor: float = 0.0
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


BUDGETS = {
    "default": DetBudget(),
    "tiny": DetBudget(train_scenes=800, epochs=6, app_epochs=1, decision_epochs=1, batch_size=32),
}


# ----------------------------------------------------------------- features
def _trunk():
    from chameleonapi.detection.model import Trunk

    return Trunk()


def compute_features(scenes: Sequence[DetScene], trunk=None, batch_size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Frozen-trunk features (C3, C4) as float16 for every scene."""
    from chameleonapi.model.transforms import normalize

    trunk = trunk if trunk is not None else _trunk()
    c3s, c4s = [], []
    with torch.inference_mode():
        for start in range(0, len(scenes), batch_size):
            gray = np.stack([render(s) for s in scenes[start : start + batch_size]])
            c3, c4 = trunk(torch.from_numpy(normalize(gray)))
            c3s.append(c3.to(torch.float16))
            c4s.append(c4.to(torch.float16))
    if not c3s:
        return torch.zeros((0, 40, 16, 16), dtype=torch.float16), torch.zeros((0, 112, 8, 8), dtype=torch.float16)
    return torch.cat(c3s), torch.cat(c4s)


def cached_features(
    split: str, count: int, seed: int = 0, focus: Sequence[int] = ()
) -> tuple[list[DetScene], torch.Tensor, torch.Tensor]:
    """Scenes of a split (optionally focused on some classes) with their trunk features,
    computed once and cached as safetensors."""
    from chameleonapi import tensorfiles

    scenes = sample_scenes(split, count, seed, focus=focus)
    key = f"{fingerprint(split, count, seed, focus)}|tf_efficientnet_lite0|c3c4|v{FEATURE_VERSION}"
    path = config.home() / "features" / f"det-{hashlib.sha256(key.encode()).hexdigest()[:20]}.safetensors"

    def compute() -> dict[str, torch.Tensor]:
        c3, c4 = compute_features(scenes)
        return {"c3": c3, "c4": c4}

    stored = tensorfiles.get_or_compute(
        path, compute, accept=lambda t: "c3" in t and "c4" in t and t["c3"].shape[0] == count)
    got = (stored["c3"], stored["c4"])
    return scenes, got[0], got[1]


# ----------------------------------------------------------------- targets
def targets(scenes: Sequence[DetScene], grid: int = SCENE_SIZE // STRIDE) -> dict[str, torch.Tensor]:
    """CenterNet targets: class heatmaps (a Gaussian per object, 1 at its centre cell),
    box regression (centre offset, log width/height in cells) and its mask."""
    n, k = len(scenes), len(NAMES)
    heat = np.zeros((n, k, grid, grid), dtype=np.float32)
    reg = np.zeros((n, 4, grid, grid), dtype=np.float32)
    mask = np.zeros((n, grid, grid), dtype=np.float32)
    ys, xs = np.mgrid[0:grid, 0:grid].astype(np.float32)
    for i, scene in enumerate(scenes):
        for cls, (x0, y0, x1, y1) in zip(scene.classes, scene.boxes):
            cx, cy = (x0 + x1) / 2 / STRIDE, (y0 + y1) / 2 / STRIDE
            w, h = (x1 - x0) / STRIDE, (y1 - y0) / STRIDE
            gx, gy = min(int(cx), grid - 1), min(int(cy), grid - 1)
            sigma = max(0.5, float(np.sqrt(w * h)) / 6)
            g = np.exp(-((xs - gx) ** 2 + (ys - gy) ** 2) / (2 * sigma**2))
            np.maximum(heat[i, cls], g, out=heat[i, cls])
            heat[i, cls, gy, gx] = 1.0
            reg[i, :, gy, gx] = (cx - gx, cy - gy, np.log(max(w, 1e-3)), np.log(max(h, 1e-3)))
            mask[i, gy, gx] = 1.0
    return {"heat": torch.from_numpy(heat), "reg": torch.from_numpy(reg), "mask": torch.from_numpy(mask)}


# ----------------------------------------------------------------- training
@dataclass
class DetTrainResult:
    head: Head
    loss: str
    seconds: float
    history: list[float]


def _epochs(
    head: Head,
    feats: tuple[torch.Tensor, torch.Tensor],
    tgt: dict[str, torch.Tensor],
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    loss_fn,
    weights: np.ndarray | None,
    rng: np.random.Generator,
) -> list[float]:
    c3, c4 = feats
    n = c3.shape[0]
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=1e-4)
    steps = max(1, epochs * ((n + batch_size - 1) // batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    history = []
    head.train()
    for _ in range(epochs):
        if weights is None:
            order = rng.permutation(n)
        else:
            order = rng.choice(n, size=n, replace=True, p=weights / weights.sum())
        total, batches = 0.0, 0
        for start in range(0, n, batch_size):
            idx = torch.from_numpy(order[start : start + batch_size])
            cls, box = head(c3[idx].float(), c4[idx].float())
            loss = loss_fn(cls, box, {k: v[idx] for k, v in tgt.items()})
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
            batches += 1
        history.append(total / max(batches, 1))
    head.eval()
    return history


def relevance_weights(scenes: Sequence[DetScene], listed: Sequence[int]) -> np.ndarray:
    """Sampling weights that make scenes holding a listed class half of what is drawn."""
    has = np.array([any(c in listed for c in s.classes) for s in scenes], dtype=bool)
    w = np.ones(len(scenes), dtype=np.float64)
    if has.any() and (~has).any():
        w[has] = 0.5 / has.sum()
        w[~has] = 0.5 / (~has).sum()
    return w


def train_generic(budget: DetBudget = BUDGETS["default"]) -> DetTrainResult:
    """The generic detector head (all classes, all scenes)."""
    torch.manual_seed(budget.seed)
    rng = np.random.default_rng(budget.seed)
    scenes, c3, c4 = cached_features("train", budget.train_scenes)
    tgt = targets(scenes)
    head = Head()
    start = time.perf_counter()
    history = _epochs(
        head, (c3, c4), tgt, epochs=budget.epochs, lr=budget.lr, batch_size=budget.batch_size,
        loss_fn=losses.detection_loss, weights=None, rng=rng,
    )
    return DetTrainResult(head, "generic", time.perf_counter() - start, history)


def customize(
    generic: Head,
    listed: Sequence[int],
    threshold: float,
    loss: str,
    budget: DetBudget = BUDGETS["default"],
    decision: DecisionSpec | None = None,
) -> DetTrainResult:
    """Fine-tune a copy of the generic head for an application (`basic` or `chameleon`).

    `decision`: the application's object decision; when it compares the count
    (`count_op`/`count`), the `chameleon` loss pays only for the errors that flip that
    comparison. Without it, every counted object matters (the count itself).
    """
    if loss not in ("basic", "chameleon"):
        raise ValueError(f"loss must be 'basic' or 'chameleon', got {loss!r}")
    if not listed:
        raise ValueError("an application must list at least one class")
    torch.manual_seed(budget.seed + 1)
    rng = np.random.default_rng(budget.seed + 1)
    scenes, c3, c4 = cached_features("train", budget.train_scenes)
    tgt = targets(scenes)
    weights = relevance_weights(scenes, listed)
    head = copy.deepcopy(generic)
    start = time.perf_counter()
    common: dict[str, Any] = {"batch_size": budget.batch_size, "weights": weights, "rng": rng}
    history = _epochs(head, (c3, c4), tgt, epochs=budget.app_epochs, lr=budget.lr / 3,
                      loss_fn=losses.detection_loss, **common)
    if loss == "basic":
        stage2 = losses.detection_loss
    else:
        count_op, count = (decision.count_op, decision.count) if decision is not None else (None, None)
        stage2 = losses.DetectionDecisionLoss(listed, threshold, gamma=budget.gamma, focal_anchor=budget.focal_anchor,
                                              count_op=count_op, count=count)
    history += _epochs(head, (c3, c4), tgt, epochs=budget.decision_epochs, lr=budget.decision_lr,
                       loss_fn=stage2, **common)
    return DetTrainResult(head, loss, time.perf_counter() - start, history)
