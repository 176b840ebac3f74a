"""The generic labeler's photo input: eval preprocessing and pooled trunk features.

EXIF orientation, aspect-preserving resize and centre crop at the backbone's input size, as
timm evaluates `tf_efficientnet_lite0`; the pooled features (1280 values, after
`conv_head`) are what a customized photo labeler's classifier reads, in training and in
serving alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import torch

__all__ = [
    "CROP_PCT", "DIM", "INPUT_SIZE", "feature_graph", "photo_transform", "pooled", "preprocess", "to_array", "upright_rgb",
]

DIM = 1280
INPUT_SIZE = 224
CROP_PCT = 0.875  # timm's eval crop for tf_efficientnet_lite0


def photo_transform(size: int = INPUT_SIZE):
    """timm's eval transform of the backbone at `size` (resize shorter side, centre crop)."""
    from timm.data import create_transform

    return create_transform(input_size=(3, size, size), interpolation="bicubic", mean=(0.5, 0.5, 0.5),
                            std=(0.5, 0.5, 0.5), crop_pct=CROP_PCT)


def upright_rgb(image):
    """`image` turned as its EXIF orientation says, in RGB."""
    from PIL import ImageOps

    upright = ImageOps.exif_transpose(image) if getattr(image, "getexif", None) else image
    return (upright or image).convert("RGB")


def preprocess(images: Sequence, size: int = INPUT_SIZE, transform=None) -> torch.Tensor:
    """Any PIL images -> the backbone's input batch (EXIF orientation applied)."""
    import torch

    transform = transform or photo_transform(size)
    return torch.stack([transform(upright_rgb(image)) for image in images])


def to_array(images: Sequence, size: int = INPUT_SIZE) -> np.ndarray:
    """`photo_transform(size)` of RGB images without torch: float32 [N, 3, size, size].

    The same PIL resize (shorter side to size / CROP_PCT, bicubic), the same centre crop and
    normalisation, equal to the torch transform to float rounding (tests/model/test_graphs.py)
    in about half its time: what the ONNX runtime feeds its graphs.
    """
    import numpy as np
    from PIL import Image

    short = math.floor(size / CROP_PCT)
    out = np.empty((len(images), 3, size, size), dtype=np.float32)  # the graphs' layout: no copy to feed them
    for k, image in enumerate(images):
        w, h = image.size
        new = (short, int(short * h / w)) if w <= h else (int(short * w / h), short)
        if new != (w, h):
            image = image.resize(new, Image.BICUBIC)
        left, top = int(round((new[0] - size) / 2.0)), int(round((new[1] - size) / 2.0))
        out[k] = np.asarray(image.crop((left, top, left + size, top + size))).transpose(2, 0, 1)
    out *= 2.0 / 255.0
    out -= 1.0
    return out


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
