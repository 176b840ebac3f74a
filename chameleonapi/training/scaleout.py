"""Photo features as a Ray job: the work that grows with the user's data, on many cores.

The photo list is cut into batches exactly as `photo_features.compute_with_mask` cuts it
(`batch_size` photos from index 0), so every photo passes through the same batch on a worker
as it would in one process, and the features are the same (to float rounding). Ray Data
spreads the batches over the workers (each loads the backbone once); each batch's features
go to the shared store as a checksummed shard (`features/<file>.shards/<start>`) when there
is one (`CHAMELEONAPI_STORE`), or come back through Ray's object store when there is none;
the driver checks and joins them into the one features file training reads. Ray is imported
only here, and only when `CHAMELEONAPI_RAY` / `chameleonapi train --ray` asks for it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from chameleonapi import config
from chameleonapi.data.base import ImageDataset

__all__ = ["compute_on_ray", "connect", "on_ray"]

logger = logging.getLogger("chameleonapi")


class _Rows:
    """Photos `start:stop` of a dataset, seen as a dataset of their own."""

    def __init__(self, dataset: ImageDataset, start: int, stop: int) -> None:
        self.dataset, self.start, self.stop = dataset, start, stop
        self.name = f"{getattr(dataset, 'name', 'photos')}[{start}:{stop}]"

    def __len__(self) -> int:
        return self.stop - self.start

    def image(self, index: int):
        return self.dataset.image(self.start + index)


def _pack(tensors: dict[str, torch.Tensor]) -> bytes:
    from safetensors.torch import save

    return save({k: v.contiguous() for k, v in tensors.items()})


def _unpack(data: bytes) -> dict[str, torch.Tensor]:
    from safetensors.torch import load

    return load(data)


class _FeatureWorker:
    """One Ray worker: the trunk loaded once (the runtime serving uses: the shared ONNX graph,
    or the torch backbone), then a batch of photos per call."""

    def __init__(self, dataset: ImageDataset, size: int, settings: dict[str, Any], shard_prefix: str | None) -> None:
        from chameleonapi.model.backbone import configure_threads, create_backbone, for_inference
        from chameleonapi.model.graphs import runtime

        self.dataset, self.size, self.settings, self.shard_prefix = dataset, size, settings, shard_prefix
        with config.override(**settings):
            configure_threads()
            # None: `compute_with_mask` runs the shared graph, exactly as one process does
            self.model = None if runtime() == "onnx" else for_inference(create_backbone(pretrained=True), config.device())

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        from chameleonapi.objectstore import configured, sha256_bytes
        from chameleonapi.training.photo_features import compute_with_mask

        out: dict[str, list] = {"start": [], "shard": [], "sha256": [], "data": []}
        with config.override(**self.settings):
            shared = configured() if self.shard_prefix else None
            for start, stop in zip(batch["start"], batch["stop"]):
                rows = _Rows(self.dataset, int(start), int(stop))
                # torch: the shard is one batch, as in one process; the graph: its own CPU batches
                feats, unreadable = compute_with_mask(rows, self.model, size=self.size,
                                                      batch_size=len(rows) if self.model is not None else None)
                data = _pack({"features": feats, "unreadable": unreadable.to(torch.uint8)})
                digest = sha256_bytes(data)
                shard = None
                if shared is not None:
                    shard = f"{self.shard_prefix}/{int(start):09d}"
                    shared.put(shard, data)
                    data = b""
                out["start"].append(int(start))
                out["shard"].append(shard or "")
                out["sha256"].append(digest)
                out["data"].append(data)
        return out


def connect(address: str | None) -> Any:
    """Ray, connected: `local` starts a local instance (one CPU per torch thread budget is
    not reserved: Ray's own count), anything else is a cluster address."""
    from chameleonapi.errors import require

    require("ray")
    import ray

    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
        if address in (None, "", "local"):
            ray.init(**kwargs)
        else:
            ray.init(address=address, **kwargs)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the command's own progress says what runs
    return ray


def _settings() -> dict[str, Any]:
    """The settings the workers need, taken from the driver (a worker has no flags of its own)."""
    return {"home": str(config.home()), "threads": config.torch_threads() or 1, "store": config.store_url(),
            "device": config.device()}


def compute_on_ray(dataset: ImageDataset, *, size: int, batch_size: int = 64, address: str | None = None,
                   workers: int | None = None, features_file: Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(features [N, 1280] float16, unreadable [N] bool) of `dataset`, computed by a Ray job."""
    from chameleonapi.model.photo_input import DIM
    from chameleonapi.objectstore import CorruptObject, configured, get_verified, sha256_bytes

    ray = connect(address if address is not None else config.ray_address())
    n = len(dataset)
    if n == 0:
        return torch.zeros((0, DIM), dtype=torch.float16), torch.zeros(0, dtype=torch.bool)
    shared = configured()
    name = features_file.name if features_file is not None else f"{dataset.fingerprint()}-{size}"
    prefix = f"features/{name}.shards" if shared is not None else None
    if workers is None:
        workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
    items = [{"start": s, "stop": min(s + batch_size, n)} for s in range(0, n, batch_size)]
    workers = max(1, min(workers, len(items)))
    results = ray.data.from_items(items, override_num_blocks=min(len(items), workers * 4)).map_batches(
        _FeatureWorker,
        fn_constructor_args=(dataset, size, _settings(), prefix),
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=1,
    ).take_all()
    feats = torch.zeros((n, DIM), dtype=torch.float16)
    unreadable = torch.zeros(n, dtype=torch.bool)
    done = 0
    for row in sorted(results, key=lambda r: r["start"]):
        data = row["data"]
        if row["shard"]:
            data = get_verified(shared, row["shard"], row["sha256"])
            if data is None:
                raise CorruptObject(f"feature shard {row['shard']} is missing from {shared.url}")
        elif sha256_bytes(bytes(data)) != row["sha256"]:
            raise CorruptObject(f"feature shard at {row['start']} came back damaged")
        shard = _unpack(bytes(data))
        start = int(row["start"])
        stop = start + shard["features"].shape[0]
        feats[start:stop] = shard["features"]
        unreadable[start:stop] = shard["unreadable"].to(torch.bool)
        done += stop - start
    if done != n:
        raise RuntimeError(f"the Ray job returned features of {done} photos out of {n}")
    if shared is not None:
        for row in results:
            if row["shard"]:
                try:
                    shared.delete(row["shard"])  # joined into the features file: no longer needed
                except Exception:  # a leftover shard costs space only
                    pass
    logger.info("photo features of %d photos computed on Ray by %d workers", n, workers)
    return feats, unreadable


def on_ray(dataset: ImageDataset, size: int, features_file: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """`photo_features.Compute` on the Ray cluster named by `CHAMELEONAPI_RAY`."""
    return compute_on_ray(dataset, size=size, features_file=features_file)
