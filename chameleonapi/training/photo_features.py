"""Photo features of the generic labeler, computed once per dataset and cached.

A customized photo labeler is the generic one with a fine-tuned classifier: the whole
ImageNet backbone stays frozen, so each photo's pooled features (1280 values, after
`conv_head`) are computed once, at the generic model's input size and with its eval
preprocessing (EXIF orientation, aspect-preserving resize, centre crop), and every
customization of the same photos trains on the cache (the preprocessing and pooling are the
model's own, `chameleonapi.model.photo_input`). Stored as float16 safetensors under
`home()/features/`, written under a file lock so concurrent trainers compute them once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from chameleonapi import config
from chameleonapi.data.base import ImageDataset
from chameleonapi.model.backbone import ARCH
from chameleonapi.model.photo_input import (
    DIM,
    INPUT_SIZE,
    feature_graph,
    photo_transform,
    pooled,
    preprocess,
    to_array,
    upright_rgb,
)

__all__ = ["DIM", "INPUT_SIZE", "cache_path", "compute", "features", "photo_transform", "pooled", "preprocess"]

VERSION = 1
BATCH = 64  # photos per torch forward pass
CPU_BATCH = 4  # photos per ONNX Runtime run (see `compute`)


def cache_path(dataset: ImageDataset, size: int = INPUT_SIZE) -> Path:
    key = f"{dataset.fingerprint()}|{ARCH}|imagenet|pooled|{size}|v{VERSION}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return config.home() / "features" / f"photos-{digest}.safetensors"


def compute(dataset: ImageDataset, backbone=None, *, size: int = INPUT_SIZE, batch_size: int | None = None,
            progress: bool = False, runtime: str | None = None) -> torch.Tensor:
    """Pooled features [N, 1280] float16 of every photo of `dataset` (no caching).

    The trunk runs where serving runs it (`chameleonapi.model.graphs.runtime()`, or
    `runtime`): the shared ONNX graph, or the torch backbone (always for a given `backbone`).
    The graph runs on the CPU in batches of `CPU_BATCH` photos, whose activations stay in
    the processor's cache (a batch of 64 spills them to memory and takes about twice the
    time a photo); torch keeps batches of `BATCH` (what a GPU wants).
    """
    from tqdm import tqdm

    from chameleonapi.model.graphs import runtime as configured_runtime

    if backbone is None and (runtime or configured_runtime()) == "onnx":
        graph = feature_graph(size)
        # the input made without torch (the same to float rounding)
        read = lambda images: torch.from_numpy(graph(to_array([upright_rgb(i) for i in images], size)))  # noqa: E731
        batch_size = batch_size or CPU_BATCH
    else:
        from chameleonapi.model.backbone import create_backbone, for_inference

        device = config.device()
        model = backbone.eval().to(device) if backbone is not None else for_inference(create_backbone(pretrained=True), device)
        transform = photo_transform(size)
        read = lambda images: pooled(model, preprocess(images, size, transform).to(device))  # noqa: E731
        batch_size = batch_size or BATCH
    chunks = []
    starts = range(0, len(dataset), batch_size)
    with torch.inference_mode():
        for start in tqdm(starts, desc=f"photo features {dataset.name}", unit="batch", disable=not progress, leave=False):
            images = [dataset.image(i) for i in range(start, min(start + batch_size, len(dataset)))]
            chunks.append(read(images).to(torch.float16).cpu())
    if not chunks:
        return torch.zeros((0, DIM), dtype=torch.float16)
    return torch.cat(chunks)


SUBSET_SIZES = (100, 200, 400, 800, 1000, 1500, 2000, 3000, 5000, 10000)


def from_superset(dataset: ImageDataset, size: int = INPUT_SIZE) -> torch.Tensor | None:
    """Rows of a cached larger subset of the same split (user data subsets are nested)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    with_size = getattr(dataset, "with_size", None)
    if with_size is None:
        return None
    for bigger in [s for s in SUBSET_SIZES if s > len(dataset)] + [None]:
        other = with_size(bigger)
        path = cache_path(other, size)
        if len(other) <= len(dataset) or not path.exists():
            continue
        try:
            feats = load_file(str(path))["features"]
        except (SafetensorError, OSError, KeyError):
            continue
        row_of = {p: i for i, p in enumerate(other.paths)}
        rows = [row_of.get(p) for p in dataset.paths]
        if feats.shape[0] == len(other) and None not in rows:
            return feats[torch.tensor(rows, dtype=torch.long)]
    return None


def features(dataset: ImageDataset, backbone=None, *, size: int = INPUT_SIZE, progress: bool = False) -> torch.Tensor:
    """Cached pooled features of `dataset` (computed on first use, once across processes)."""
    from chameleonapi.training.features import cached_features

    return cached_features(
        cache_path(dataset, size), dataset,
        lambda: compute(dataset, backbone, size=size, progress=progress),
        fallback=lambda: from_superset(dataset, size),
    )
