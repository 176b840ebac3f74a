"""Frozen-trunk features, computed once per dataset and cached, so training runs on a CPU.

The backbone splits at `blocks[:5]`: the trunk (stem + first five stages, ImageNet weights,
eval mode) maps a 112 px image to 112x7x7 features; only `blocks[5:]`, `conv_head/bn2` and
the classifier are trained. Features are stored as float16 safetensors under
`home()/features/`, keyed by the dataset's fingerprint, and written under a file lock so
concurrent trainers compute them once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

from chameleonapi import config
from chameleonapi.data.base import ImageDataset
from chameleonapi.model.backbone import ARCH
from chameleonapi.model.transforms import INPUT_SIZE, normalize

TRUNK_BLOCKS = 5
VERSION = 1


def trunk_of(model) -> nn.Module:
    """The frozen part of the backbone (shares the model's modules)."""
    return nn.Sequential(model.conv_stem, model.bn1, *model.blocks[:TRUNK_BLOCKS])


def head_logits(model, features: torch.Tensor) -> torch.Tensor:
    """The trained part: trunk features -> vocabulary logits."""
    x = model.blocks[TRUNK_BLOCKS:](features)
    x = model.bn2(model.conv_head(x))
    return model.forward_head(x)


def head_parameters(model) -> list[nn.Parameter]:
    modules = [*model.blocks[TRUNK_BLOCKS:], model.conv_head, model.bn2, model.classifier]
    return [p for m in modules for p in m.parameters()]


def set_head_mode(model, train: bool) -> None:
    """Trunk always in eval (its features are cached); head in train or eval mode."""
    model.eval()
    if train:
        for m in [*model.blocks[TRUNK_BLOCKS:], model.conv_head, model.bn2, model.classifier]:
            m.train()


def cache_path(dataset: ImageDataset) -> Path:
    key = f"{dataset.fingerprint()}|{ARCH}|imagenet|blocks<{TRUNK_BLOCKS}|{INPUT_SIZE}|v{VERSION}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return config.home() / "features" / f"{digest}.safetensors"


def compute(dataset: ImageDataset, backbone=None, *, batch_size: int = 64, progress: bool = False) -> torch.Tensor:
    """Trunk features [N, 112, 7, 7] float16 for every image of `dataset` (no caching)."""
    from tqdm import tqdm

    from chameleonapi.model.backbone import create_backbone

    model = backbone if backbone is not None else create_backbone(pretrained=True)
    trunk = trunk_of(model).eval()
    chunks = []
    starts = range(0, len(dataset), batch_size)
    with torch.inference_mode():
        for start in tqdm(starts, desc=f"features {dataset.name}", unit="batch", disable=not progress, leave=False):
            indices = range(start, min(start + batch_size, len(dataset)))
            batch = torch.from_numpy(normalize(dataset.pixels(list(indices), INPUT_SIZE)))
            chunks.append(trunk(batch).to(torch.float16))
    if not chunks:
        return torch.zeros((0, 112, 7, 7), dtype=torch.float16)
    return torch.cat(chunks)


def cached_features(path: Path, dataset: ImageDataset, compute_fn, fallback=None) -> torch.Tensor:
    """Features of `dataset` stored at `path`: read if whole, else made once across processes.

    `fallback()` may supply them without computing (e.g. rows of a cached superset); a file
    that is unreadable, fails its checksum or is of the wrong length is recomputed and
    replaced atomically (`chameleonapi.tensorfiles`).
    """
    from chameleonapi import tensorfiles

    def from_fallback():
        got = fallback() if fallback is not None else None
        return {"features": got} if got is not None else None

    got = tensorfiles.get_or_compute(
        path,
        lambda: {"features": compute_fn()},
        accept=lambda t: "features" in t and t["features"].shape[0] == len(dataset),
        fallback=from_fallback,
        metadata={"dataset": dataset.fingerprint()},
    )
    return got["features"]


def features(dataset: ImageDataset, backbone=None, *, progress: bool = False) -> torch.Tensor:
    """Cached trunk features of `dataset` (computed on first use, once across processes)."""
    return cached_features(cache_path(dataset), dataset, lambda: compute(dataset, backbone, progress=progress))

