"""The photo input of every path: one preprocessing, and pooled trunk features.

`prepare` is what serving (the generic and the customized labelers, on ONNX Runtime and on
torch), photo feature extraction, training and evaluation all feed the backbone: the photo
turned as its EXIF orientation says, in RGB, its centre window (`imaging.fit`), resized and
centre-cropped and normalised as the backbone's own data config says (timm's pretrained
config of `tf_efficientnet_lite0`). Made with PIL and numpy, so the ONNX runtime needs no
torch to read a photo, and a portrait photo is seen the same way by every path. The pooled
features (1280 values, after `conv_head`) are what a customized photo labeler reads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import torch

__all__ = ["DIM", "INPUT_SIZE", "data_config", "feature_graph", "normalized", "orientation", "pooled", "prepare",
           "upright_rgb"]

DIM = 1280
INPUT_SIZE = 224
ORIENTATION = 0x0112  # the EXIF tag


@lru_cache(maxsize=1)
def data_config() -> dict:
    """The backbone's eval preprocessing (input size, interpolation, crop_pct, mean, std), as
    timm resolves it from the architecture's pretrained config."""
    from timm.data import resolve_data_config
    from timm.models import get_pretrained_cfg

    from chameleonapi.model.backbone import ARCH

    return resolve_data_config(pretrained_cfg=get_pretrained_cfg(ARCH).to_dict())


def orientation(image) -> int:
    """The EXIF orientation of a PIL image (1: upright, or no tag)."""
    return image.getexif().get(ORIENTATION, 1) if getattr(image, "getexif", None) else 1


def upright_rgb(image):
    """`image` turned as its EXIF orientation says, in RGB."""
    from PIL import ImageOps

    if orientation(image) != 1:
        image = ImageOps.exif_transpose(image) or image
    return image if image.mode == "RGB" else image.convert("RGB")


def prepare(images: Sequence, size: int = INPUT_SIZE) -> np.ndarray:
    """Any PIL images -> the backbone's input batch, float32 [N, 3, size, size].

    Upright RGB, the centre window, the shorter side resized to size / crop_pct and the centre
    `size` square cut, as timm's eval transform of the data config does (equal to it to float
    rounding, tests/model/test_graphs.py), normalised by the config's mean and std.
    """
    import numpy as np
    from PIL import Image

    from chameleonapi.imaging.fit import center_window

    cfg = data_config()
    short = math.floor(size / cfg["crop_pct"])
    resample = Image.Resampling[cfg["interpolation"].upper()]
    out = np.empty((len(images), 3, size, size), dtype=np.float32)  # the graphs' layout: no copy to feed them
    for k, image in enumerate(images):
        image = center_window(upright_rgb(image))
        w, h = image.size
        new = (short, int(short * h / w)) if w <= h else (int(short * w / h), short)
        if new != (w, h):
            image = image.resize(new, resample)
        left, top = int(round((new[0] - size) / 2.0)), int(round((new[1] - size) / 2.0))
        out[k] = np.asarray(image.crop((left, top, left + size, top + size))).transpose(2, 0, 1)
    return normalized(out)


def normalized(pixels: np.ndarray) -> np.ndarray:
    """Float32 pixel values 0-255 [..., 3, H, W], normalised in place as the data config says."""
    import numpy as np

    cfg = data_config()
    pixels *= 1.0 / 255.0
    pixels -= np.asarray(cfg["mean"], dtype=np.float32).reshape(3, 1, 1)
    pixels /= np.asarray(cfg["std"], dtype=np.float32).reshape(3, 1, 1)
    return pixels


def pooled(model, batch: torch.Tensor) -> torch.Tensor:
    """Pooled pre-classifier features [N, 1280] of a preprocessed batch."""
    return model.forward_head(model.forward_features(batch), pre_logits=True)


_feature_graphs: dict[tuple, object] = {}


def feature_graph(size: int = INPUT_SIZE):
    """The shared ONNX graph of the pooled ImageNet trunk at `size`, exported once from the
    verified weights (`chameleonapi.model.graphs`); every photo model and the feature cache
    read it. Looked up once per cache folder, size and thread setting."""
    from chameleonapi import config
    from chameleonapi.model import graphs
    from chameleonapi.model.backbone import (
        ARCH,
        create_backbone,
        for_inference,
        static_padding,
        weights_checksum,
    )

    key = (str(config.home()), size, graphs.threads())
    if key in _feature_graphs:
        return _feature_graphs[key]

    def build() -> bytes:
        import torch

        model = static_padding(for_inference(create_backbone(pretrained=True)), size)
        return graphs.export(graphs.module_of(lambda x: pooled(model, x), model), torch.zeros(1, 3, size, size))

    path = graphs.graph_path(f"{ARCH}.imagenet.features-{size}", weights=weights_checksum())
    _feature_graphs[key] = graph = graphs.shared_graph(path, build)
    return graph
