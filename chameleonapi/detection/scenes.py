"""Detection scenes: animal silhouettes pasted at random positions and scales, exact boxes.

Each scene is a 128 px grayscale canvas holding 0-5 animal-mnist tiles, each resized to a
random side (30-64 px) and pasted with `max` so overlapping animals stay visible. A box is
the tight extent of the tile's ink after resizing, so the ground truth is exact. Tiles come
from the built-in data's train/val/test tile split (no tile is in two splits); scenes of a
split are drawn deterministically from (split, count, seed, focus).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from chameleonapi.data.animal_mnist import CLASSES, load_tiles
from chameleonapi.data.base import SPLITS
from chameleonapi.data.builtin import class_label, tile_split

SCENE_SIZE = 128
MIN_SIDE, MAX_SIDE = 30, 64
COUNT_WEIGHTS = (0.05, 0.2, 0.25, 0.25, 0.15, 0.1)  # 0..5 animals
MAX_IOU = 0.3  # pasted animals overlap, but never hide one another
INK = 32
VERSION = 1
NAMES = tuple(class_label(c) for c in CLASSES)  # "Bear", "Bird", ...


@dataclass(frozen=True)
class Placement:
    """One pasted tile: tile index, top-left corner and side in pixels."""

    tile: int
    x: int
    y: int
    side: int


@dataclass(frozen=True)
class DetScene:
    """A scene: its placements, class indices and exact boxes (x0, y0, x1, y1) in pixels."""

    placements: tuple[Placement, ...]
    classes: tuple[int, ...]
    boxes: tuple[tuple[float, float, float, float], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(NAMES[c] for c in self.classes)


@lru_cache(maxsize=64)
def _resized(tile: int, side: int) -> np.ndarray:
    from PIL import Image

    images, _ = load_tiles()
    return np.asarray(Image.fromarray(images[tile]).resize((side, side), Image.Resampling.BILINEAR), dtype=np.uint8)


def tile_box(tile: int, x: int, y: int, side: int) -> tuple[float, float, float, float]:
    """Tight box of the tile's ink once resized and placed (the exact ground truth)."""
    ys, xs = np.nonzero(_resized(tile, side) > INK)
    if len(xs) == 0:
        return (float(x), float(y), float(x + side), float(y + side))
    return (float(x + xs.min()), float(y + ys.min()), float(x + xs.max() + 1), float(y + ys.max() + 1))


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def render(scene: DetScene) -> np.ndarray:
    """uint8 [128, 128] grayscale canvas of the scene."""
    canvas = np.zeros((SCENE_SIZE, SCENE_SIZE), dtype=np.uint8)
    for p in scene.placements:
        patch = _resized(p.tile, p.side)
        region = canvas[p.y : p.y + p.side, p.x : p.x + p.side]
        np.maximum(region, patch, out=region)
    return canvas


def _seed_of(*parts: object) -> int:
    return int(hashlib.sha256(repr(parts).encode()).hexdigest()[:12], 16)


def sample_scenes(
    split: str, count: int, seed: int = 0, focus: Sequence[int] = (), focus_share: float = 0.5
) -> list[DetScene]:
    """`count` scenes of one split; with `focus`, a `focus_share` of animals are focus classes.

    Focused sampling is how an application's relevant data is drawn: its listed classes
    appear often, the others still appear (they are what it must not count).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    _, labels = load_tiles()
    pool = tile_split(0)[split]
    by_class = [pool[labels[pool] == c] for c in range(len(CLASSES))]
    focus = tuple(sorted(set(int(c) for c in focus)))
    rng = np.random.default_rng(_seed_of(split, count, seed, focus, focus_share, VERSION))
    scenes = []
    for _ in range(count):
        n = int(rng.choice(len(COUNT_WEIGHTS), p=COUNT_WEIGHTS))
        placements: list[Placement] = []
        classes: list[int] = []
        boxes: list[tuple[float, float, float, float]] = []
        for _ in range(n):
            if focus and rng.random() < focus_share:
                cls = int(rng.choice(focus))
            else:
                cls = int(rng.integers(len(CLASSES)))
            tile = int(rng.choice(by_class[cls]))
            for _attempt in range(20):
                side = int(rng.integers(MIN_SIDE, MAX_SIDE + 1))
                x = int(rng.integers(0, SCENE_SIZE - side + 1))
                y = int(rng.integers(0, SCENE_SIZE - side + 1))
                box = tile_box(tile, x, y, side)
                if all(iou(box, other) <= MAX_IOU for other in boxes):
                    placements.append(Placement(tile, x, y, side))
                    classes.append(cls)
                    boxes.append(box)
                    break
        scenes.append(DetScene(tuple(placements), tuple(classes), tuple(boxes)))
    return scenes


def scene_png(scene: DetScene) -> bytes:
    """The scene as PNG bytes (what an application would send to the API)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(render(scene), mode="L").save(buf, format="PNG")
    return buf.getvalue()


def fingerprint(split: str, count: int, seed: int, focus: Sequence[int] = (), focus_share: float = 0.5) -> str:
    focus_key = ",".join(str(c) for c in sorted(set(focus)))
    return f"detscenes-v{VERSION}-{split}-{count}-s{seed}-f[{focus_key}]{focus_share}-{SCENE_SIZE}px"
