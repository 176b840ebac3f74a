"""Partial fine-tuning: the backbone's last stage retrained on the user's photos.

The trunk up to the last stage (`tf_efficientnet_lite0`'s `blocks[:6]`) stays frozen and
shared; the last stage (`blocks[6]`, one MBConv block reading 192x7x7 at 224 px), `conv_head`
and its norm (folded into the convolution, as served) are trained with a linear head on the
user's classes on augmented views of every photo (random resized crop, flip, colour jitter),
by the cross-entropy or the decision-aware outcome loss (`losses.OutcomeLoss`), early-stopped
on the validation photos (`tune_tail`).

Since only the last stage moves, the activations at its input are computed once per data
set for `views` views of each photo (view 0: the eval preprocessing every path uses; the
others augmented, each photo's augmentations fixed by its index and the seed) and cached as
float16 safetensors under `home()/features/`, like the pooled features; an epoch then costs
the last stage only. The tuned stage's pooled features feed only the class head: the generic
labels keep reading the frozen trunk's features, so every label the application does not
decide on stays exactly generic (the frozen model is its own teacher, exactly).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from chameleonapi import config
from chameleonapi.data.base import ImageDataset
from chameleonapi.model.backbone import ARCH
from chameleonapi.model.photo_input import INPUT_SIZE, normalized, prepare, upright_rgb
from chameleonapi.model.stage import STAGE, Tail, make_tail, trunk_to_stage

__all__ = ["STAGE", "Tail", "augmented", "make_tail", "stage_inputs", "steps", "trunk_to_stage", "tune_tail", "tuned_features"]

VERSION = 1
BATCH = 32
SCALE = (0.35, 1.0)  # random resized crop: share of the photo's area
RATIO = (3 / 4, 4 / 3)
JITTER = 0.3  # brightness, contrast and saturation factors in [1 - JITTER, 1 + JITTER]


def augmented(image, rng: np.random.Generator, size: int = INPUT_SIZE) -> np.ndarray:
    """One augmented view [3, size, size] of a PIL image: random resized crop, horizontal
    flip, colour jitter, normalised as the eval preprocessing normalises."""
    from PIL import Image, ImageEnhance, ImageOps

    image = upright_rgb(image)
    w, h = image.size
    box = (0, 0, w, h)
    for _ in range(10):
        area = w * h * rng.uniform(*SCALE)
        aspect = math.exp(rng.uniform(math.log(RATIO[0]), math.log(RATIO[1])))
        cw, ch = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
            box = (x, y, x + cw, y + ch)
            break
    image = image.resize((size, size), Image.Resampling.BICUBIC, box=box)
    if rng.random() < 0.5:
        image = ImageOps.mirror(image)
    for enhance in (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color):
        image = enhance(image).enhance(float(rng.uniform(1 - JITTER, 1 + JITTER)))
    return normalized(np.asarray(image, dtype=np.float32).transpose(2, 0, 1))


def _cache_path(dataset: ImageDataset, views: int, seed: int, size: int):
    key = f"{dataset.fingerprint()}|{ARCH}|imagenet|stage{STAGE}|{size}|{views}|{seed}|v{VERSION}"
    return config.home() / "features" / f"stage-{hashlib.sha256(key.encode()).hexdigest()[:20]}.safetensors"


def stage_inputs(dataset: ImageDataset, views: int = 1, *, seed: int = 0, size: int = INPUT_SIZE,
                 progress: bool = False) -> torch.Tensor:
    """Cached activations at the last stage's input [N, views, C, H, W] float16 of every photo
    of `dataset` (readable ones: the caller has skipped the others), computed once."""
    from chameleonapi import tensorfiles

    def make() -> dict[str, torch.Tensor]:
        from tqdm import tqdm

        from chameleonapi.model.backbone import create_backbone, for_inference

        model = for_inference(create_backbone(pretrained=True))
        chunks = []
        with torch.inference_mode():
            for start in tqdm(range(0, len(dataset), BATCH), desc=f"stage inputs {dataset.name} ({views} views)",
                              unit="batch", disable=not progress, leave=False):
                indices = range(start, min(start + BATCH, len(dataset)))
                images = [dataset.image(i) for i in indices]
                per_view = [torch.from_numpy(prepare(images, size))]
                for view in range(1, views):
                    per_view.append(torch.from_numpy(np.stack([
                        augmented(image, np.random.default_rng([seed, i, view]), size)
                        for i, image in zip(indices, images)])))
                batch = torch.cat(per_view)
                out = trunk_to_stage(model, batch).to(torch.float16).contiguous()
                chunks.append(out.reshape(views, len(indices), *out.shape[1:]).transpose(0, 1).contiguous())
        return {"inputs": torch.cat(chunks)}

    stored = tensorfiles.get_or_compute(
        _cache_path(dataset, views, seed, size), make,
        accept=lambda t: "inputs" in t and t["inputs"].shape[:2] == (len(dataset), views),
        metadata={"dataset": dataset.fingerprint()})
    return stored["inputs"]


def tuned_features(tail: Tail, inputs: torch.Tensor) -> torch.Tensor:
    """Pooled features [N, 1280] of the tuned stage on stage inputs [N, C, H, W]."""
    tail.eval()
    with torch.no_grad():  # not inference mode: the class head is then trained on them
        return torch.cat([tail(inputs[i:i + 256].float()) for i in range(0, len(inputs), 256)]) if len(inputs) \
            else torch.zeros((0, 1280))


def tune_tail(tail: Tail, head: nn.Linear, inputs: torch.Tensor, classes: torch.Tensor, val_inputs: torch.Tensor,
              val_classes: torch.Tensor, *, epochs: int, lr: float, head_lr: float, patience: int, batch_size: int,
              seed: int, bar=None, criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
              judge: Callable[[torch.Tensor], float] | None = None, tie: float = 0.0) -> tuple[int, list[dict]]:
    """Train `tail` and `head` in place (AdamW) on every (photo, view) pair by `criterion(class
    logits, classes)` (default: the cross-entropy, label smoothing 0.1), and leave them at the
    best epoch on the validation photos.

    The cross-entropy's criterion for the best epoch is the validation accuracy (ties: lower
    loss). With `judge(validation features)` (the application's incorrect-decision rate) the
    epoch is chosen on the decisions first: among the epochs whose rate is within `tie` of the
    lowest (a photo or two of a small validation split is noise), the cross-entropy's
    criterion decides. Whether that beats the frozen stage is the caller's gate to decide."""
    n, views = inputs.shape[:2]
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW([{"params": tail.parameters(), "lr": lr},
                                   {"params": head.parameters(), "lr": head_lr}], weight_decay=1e-4)
    if criterion is None:
        def criterion(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            return nn.functional.cross_entropy(logits, target, label_smoothing=0.1)

    def validate() -> tuple[float, float, float]:
        with torch.no_grad():
            feats = tuned_features(tail, val_inputs)
            logits = head(feats)
        loss = float(nn.functional.cross_entropy(logits, val_classes)) if len(val_classes) else 0.0
        accuracy = float((logits.argmax(1) == val_classes).float().mean()) if len(val_classes) else 0.0
        return (judge(feats) if judge is not None else 0.0), accuracy, loss

    def pick(kept: list[dict]) -> dict:
        lowest = min(k["rate"] for k in kept)
        return max((k for k in kept if k["rate"] <= lowest + tie), key=lambda k: (k["accuracy"], -k["loss"], -k["epoch"]))

    kept: list[dict] = []  # the epochs that can still be chosen, with their weights
    history = []
    for epoch in range(1, epochs + 1):
        tail.train()
        order = torch.randperm(n * views, generator=generator)
        running = 0.0
        for start in range(0, len(order), batch_size):
            pick_rows = order[start:start + batch_size]
            photo, view = pick_rows // views, pick_rows % views
            value = criterion(head(tail(inputs[photo, view].float())), classes[photo])
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            running += value.item() * len(pick_rows)
            if bar is not None:
                bar.update(1)
        rate, accuracy, loss = validate()
        history.append({"epoch": epoch, "train_loss": running / max(len(order), 1), "val_accuracy": accuracy,
                        "val_loss": loss, **({"val_incorrect": rate} if judge is not None else {})})
        kept.append({"epoch": epoch, "rate": rate, "accuracy": accuracy, "loss": loss,
                     "state": [t.detach().clone() for t in (*tail.parameters(), *head.parameters())]})
        lowest = min(k["rate"] for k in kept)
        kept = [k for k in kept if k["rate"] <= lowest + tie]
        if epoch - pick(kept)["epoch"] >= patience:
            break
    if not kept:
        return 0, history
    best = pick(kept)
    with torch.no_grad():
        for param, value in zip((*tail.parameters(), *head.parameters()), best["state"]):
            param.copy_(value)
    tail.eval()
    return best["epoch"], history


def steps(n: int, views: int, epochs: int, batch_size: int) -> int:
    """Optimizer steps of `tune_tail` at most (for the progress bar)."""
    return epochs * len(range(0, n * views, batch_size))
