"""Photo features of the generic labeler, computed once per dataset and cached.

A customized photo labeler is the generic one with a fine-tuned classifier: the whole
ImageNet backbone stays frozen, so each photo's pooled features (1280 values, after
`conv_head`) are computed once, at the generic model's input size and with its eval
preprocessing (`chameleonapi.model.photo_input.prepare`, the one every path uses), and every
customization of the same photos trains on the cache. Stored as float16 safetensors under
`home()/features/`, written under a file lock so concurrent trainers compute them once, and
published to the shared store when there is one. The trainer may hand in another way to compute
the same batches (`compute=`: a Ray job, `training/scaleout.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import torch

from chameleonapi import config
from chameleonapi.data.base import ImageDataset
from chameleonapi.model.backbone import ARCH
from chameleonapi.model.photo_input import DIM, INPUT_SIZE, feature_graph, pooled, prepare

__all__ = ["DIM", "INPUT_SIZE", "cache_path", "compute", "compute_with_mask", "features", "features_and_mask",
           "pooled", "prepare", "usable"]

VERSION = 1
BATCH = 64  # photos per torch forward pass
CPU_BATCH = 4  # photos per ONNX Runtime run (see `compute`)


def cache_path(dataset: ImageDataset, size: int = INPUT_SIZE) -> Path:
    key = f"{dataset.fingerprint()}|{ARCH}|imagenet|pooled|{size}|v{VERSION}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return config.home() / "features" / f"photos-{digest}.safetensors"


def compute(dataset: ImageDataset, backbone=None, *, size: int = INPUT_SIZE, batch_size: int | None = None,
            progress: bool = False, runtime: str | None = None) -> torch.Tensor:
    """Pooled features [N, 1280] float16 of every photo of `dataset` (no caching; an
    unreadable photo's row is zero, see `compute_with_mask`)."""
    return compute_with_mask(dataset, backbone, size=size, batch_size=batch_size, progress=progress,
                             runtime=runtime)[0]


def compute_with_mask(dataset: ImageDataset, backbone=None, *, size: int = INPUT_SIZE, batch_size: int | None = None,
                      progress: bool = False, runtime: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(features [N, 1280] float16, unreadable [N] bool): a photo that cannot be decoded (empty,
    truncated, not an image) is marked, never the end of the whole customization.

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
        read = lambda images: torch.from_numpy(graph(prepare(images, size)))  # noqa: E731
        batch_size = batch_size or CPU_BATCH
    else:
        from chameleonapi.model.backbone import create_backbone, for_inference

        device = config.device()
        model = backbone.eval().to(device) if backbone is not None else for_inference(create_backbone(pretrained=True), device)
        read = lambda images: pooled(model, torch.from_numpy(prepare(images, size)).to(device))  # noqa: E731
        batch_size = batch_size or BATCH
    chunks = []
    unreadable = torch.zeros(len(dataset), dtype=torch.bool)
    starts = range(0, len(dataset), batch_size)
    with torch.inference_mode():
        for start in tqdm(starts, desc=f"photo features {dataset.name}", unit="batch", disable=not progress, leave=False):
            indices = range(start, min(start + batch_size, len(dataset)))
            images, rows = [], []
            for i in indices:
                try:
                    images.append(dataset.image(i))
                    rows.append(i - start)
                except Exception:  # any decoder error: this photo is skipped, the others train
                    unreadable[i] = True
            chunk = torch.zeros((len(indices), DIM), dtype=torch.float16)
            if images:
                chunk[torch.tensor(rows, dtype=torch.long)] = read(images).to(torch.float16).cpu()
            chunks.append(chunk)
    if not chunks:
        return torch.zeros((0, DIM), dtype=torch.float16), unreadable
    return torch.cat(chunks), unreadable


# computes (features, unreadable) of a data set at an input size, for the features file named
Compute = Callable[[ImageDataset, int, Path], "tuple[torch.Tensor, torch.Tensor]"]
SUBSET_SIZES = (100, 200, 400, 800, 1000, 1500, 2000, 3000, 5000, 10000)


def _mask_of(stored: dict[str, torch.Tensor], n: int) -> torch.Tensor:
    mask = stored.get("unreadable")
    return mask.to(torch.bool) if mask is not None else torch.zeros(n, dtype=torch.bool)


def from_superset(dataset: ImageDataset, size: int = INPUT_SIZE) -> dict[str, torch.Tensor] | None:
    """Rows of a cached larger subset of the same split (user data subsets are nested)."""
    from chameleonapi import tensorfiles

    with_size = getattr(dataset, "with_size", None)
    if with_size is None:
        return None
    for bigger in [s for s in SUBSET_SIZES if s > len(dataset)] + [None]:
        other = with_size(bigger)
        path = cache_path(other, size)
        if len(other) <= len(dataset) or not path.exists():
            continue
        stored = tensorfiles.read(path)
        if stored is None or "features" not in stored:
            continue
        feats = stored["features"]
        row_of = {p: i for i, p in enumerate(other.paths)}
        rows = [row_of.get(p) for p in dataset.paths]
        if feats.shape[0] == len(other) and None not in rows:
            index = torch.tensor(rows, dtype=torch.long)
            return {"features": feats[index], "unreadable": _mask_of(stored, len(other))[index].to(torch.uint8)}
    return None


def features_and_mask(dataset: ImageDataset, backbone=None, *, size: int = INPUT_SIZE, progress: bool = False,
                      compute: Compute | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Cached (features, unreadable) of `dataset`: computed on first use, once across processes
    (by `compute(dataset, size, file)` when given: e.g. the same batches as a Ray job)."""
    from chameleonapi import tensorfiles

    path = cache_path(dataset, size)

    def make() -> dict[str, torch.Tensor]:
        if compute is not None:
            feats, unreadable = compute(dataset, size, path)
        else:
            feats, unreadable = compute_with_mask(dataset, backbone, size=size, progress=progress)
        return {"features": feats, "unreadable": unreadable.to(torch.uint8)}

    stored = tensorfiles.get_or_compute(
        path, make,
        accept=lambda t: "features" in t and t["features"].shape[0] == len(dataset),
        fallback=lambda: from_superset(dataset, size),
        metadata={"dataset": dataset.fingerprint()},
    )
    return stored["features"], _mask_of(stored, len(dataset))


def features(dataset: ImageDataset, backbone=None, *, size: int = INPUT_SIZE, progress: bool = False) -> torch.Tensor:
    """Cached pooled features of `dataset` (computed on first use, once across processes)."""
    return features_and_mask(dataset, backbone, size=size, progress=progress)[0]


def _relative(path, root) -> str:
    """A photo's name as the user wrote it: relative to the data folder when under it."""
    if root is not None:
        try:
            return Path(path).relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


def usable(dataset: ImageDataset, backbone=None, *, size: int = INPUT_SIZE, progress: bool = False,
           compute: Compute | None = None) -> tuple[ImageDataset, torch.Tensor]:
    """The photos of `dataset` that could be read, and their features.

    Unreadable photos are skipped with one warning (how many, the first names); the data is
    refused (`DataError`) only when no photo, or not even half of them, can be read."""
    from chameleonapi.data.base import warn_skipped
    from chameleonapi.errors import DataError
    from chameleonapi.logs import names_shown

    feats, unreadable = features_and_mask(dataset, backbone, size=size, progress=progress, compute=compute)
    bad = [int(i) for i in torch.nonzero(unreadable).flatten()]
    if not bad:
        return dataset, feats
    paths = getattr(dataset, "paths", None)
    root = getattr(dataset, "root", None) or getattr(getattr(dataset, "path", None), "parent", None)
    names = [_relative(paths[i], root) for i in bad] if paths is not None else [str(i) for i in bad]
    if len(bad) * 2 > len(dataset):
        raise DataError(f"{len(bad)} of {len(dataset)} {dataset.split if hasattr(dataset, 'split') else ''} photos "
                        f"cannot be read as images (first: {names_shown(names[:3])}); too few usable photos remain")
    warn_skipped("unreadable photo(s) (empty, truncated or not an image)", names)
    keep = torch.tensor([i for i in range(len(dataset)) if not unreadable[i]], dtype=torch.long)
    return dataset.without(bad), feats[keep]
