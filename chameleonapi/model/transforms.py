"""One preprocessing for training and serving: any PIL image -> the model's input tensor.

Scenes are squashed (never cropped: a mosaic's corners hold animals) to a square of
`INPUT_SIZE` pixels, made RGB (grayscale silhouettes are replicated over the channels) and
normalised with the backbone's mean = std = 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

INPUT_SIZE = 112


def to_pixels(image: Image, size: int = INPUT_SIZE) -> np.ndarray:
    """uint8 [size, size, 3] for any image mode and size."""
    from PIL import Image as PILImage

    rgb = image.convert("RGB")
    if rgb.size != (size, size):
        rgb = rgb.resize((size, size), PILImage.Resampling.BICUBIC)
    return np.asarray(rgb, dtype=np.uint8)


def normalize(pixels: np.ndarray) -> np.ndarray:
    """uint8 [N, H, W, 3] (or [N, H, W] gray) -> float32 [N, 3, H, W] in [-1, 1]."""
    if pixels.ndim == 3:
        pixels = np.repeat(pixels[..., None], 3, axis=-1)
    return (pixels.astype(np.float32).transpose(0, 3, 1, 2) / 127.5) - 1.0


def to_input(images: Sequence[Image], size: int = INPUT_SIZE) -> np.ndarray:
    """float32 [N, 3, size, size] ready for the network."""
    if not images:
        return np.zeros((0, 3, size, size), dtype=np.float32)
    return normalize(np.stack([to_pixels(image, size) for image in images]))
