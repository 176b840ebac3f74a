"""Built-in data: 2x2 mosaics of animal-mnist silhouettes, multi-label with exact truth.

Each scene has four slots, each blank or one animal tile (upscaled 2x to 56 px), so a
112 px scene holds 0-4 animals and its labels (and boxes) are known exactly. The 10,000
source tiles are split into train/val/test first, so no tile appears in two splits; scenes
of a split are drawn deterministically from (split, seed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from chameleonapi.data.animal_mnist import CLASSES, load_tiles
from chameleonapi.data.base import SPLITS, ImageDataset
from chameleonapi.model.transforms import INPUT_SIZE

TILE = 28
SCALE = 2
SLOT = TILE * SCALE
SCENE_SIZE = 2 * SLOT  # 112 px, the size the prototype found works
SPLIT_FRACTIONS = {"train": 0.7, "val": 0.1, "test": 0.2}
# how many animals a scene holds: 0..4
COUNT_WEIGHTS = (0.1, 0.3, 0.3, 0.2, 0.1)
DEFAULT_SIZES = {"train": 4000, "val": 800, "test": 2000}
VERSION = 1


def class_label(name: str) -> str:
    """Vocabulary spelling of an animal-mnist class ("cat" -> "Cat")."""
    return name[:1].upper() + name[1:]


def default_size(split: str) -> int:
    return DEFAULT_SIZES[split]


@dataclass(frozen=True)
class Scene:
    """One mosaic: the tile index in each slot (-1 blank), classes and boxes (x0, y0, x1, y1)."""

    tiles: tuple[int, int, int, int]
    classes: tuple[str, ...]
    boxes: tuple[tuple[str, tuple[int, int, int, int]], ...]


@lru_cache(maxsize=4)
def tile_split(seed: int = 0) -> dict[str, np.ndarray]:
    """Tile indices of each split: a seeded permutation, stratified by class."""
    _, labels = load_tiles()
    rng = np.random.default_rng([seed, 7919])
    out: dict[str, list[int]] = {s: [] for s in SPLITS}
    for cls in range(len(CLASSES)):
        members = rng.permutation(np.flatnonzero(labels == cls))
        n_train = int(round(len(members) * SPLIT_FRACTIONS["train"]))
        n_val = int(round(len(members) * SPLIT_FRACTIONS["val"]))
        out["train"].extend(members[:n_train])
        out["val"].extend(members[n_train : n_train + n_val])
        out["test"].extend(members[n_train + n_val :])
    return {s: np.sort(np.asarray(v, dtype=np.int64)) for s, v in out.items()}


def _tile_box(tile: np.ndarray, slot: int) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(tile > 32)
    row, col = divmod(slot, 2)
    if len(xs) == 0:
        x0, y0, x1, y1 = 0, 0, TILE, TILE
    else:
        x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    ox, oy = col * SLOT, row * SLOT
    return (ox + x0 * SCALE, oy + y0 * SCALE, ox + x1 * SCALE, oy + y1 * SCALE)


def compose(tile_indices: Sequence[int]) -> np.ndarray:
    """uint8 [112, 112] grayscale mosaic of four slots (-1 = blank)."""
    images, _ = load_tiles()
    canvas = np.zeros((SCENE_SIZE, SCENE_SIZE), dtype=np.uint8)
    for slot, index in enumerate(tile_indices):
        if index < 0:
            continue
        row, col = divmod(slot, 2)
        big = np.repeat(np.repeat(images[index], SCALE, axis=0), SCALE, axis=1)
        canvas[row * SLOT : (row + 1) * SLOT, col * SLOT : (col + 1) * SLOT] = big
    return canvas


def make_scene(tile_indices: Sequence[int]) -> Scene:
    images, labels = load_tiles()
    classes, boxes = [], []
    for slot, index in enumerate(tile_indices):
        if index >= 0:
            name = class_label(CLASSES[int(labels[index])])
            classes.append(name)
            boxes.append((name, _tile_box(images[index], slot)))
    first, second, third, fourth = (int(i) for i in tile_indices)
    return Scene((first, second, third, fourth), tuple(classes), tuple(boxes))


def sample_scenes(split: str, count: int, seed: int = 0) -> list[Scene]:
    """`count` random scenes of one split, the same for the same (split, count, seed)."""
    pool = tile_split(seed)[split]
    rng = np.random.default_rng([seed, SPLITS.index(split), count, VERSION])
    counts = rng.choice(len(COUNT_WEIGHTS), size=count, p=COUNT_WEIGHTS)
    scenes = []
    for n in counts:
        tiles = [-1, -1, -1, -1]
        for slot in rng.choice(4, size=n, replace=False):
            tiles[int(slot)] = int(rng.choice(pool))
        scenes.append(make_scene(tiles))
    return scenes


def scene_image(animals: Sequence[str | None], *, split: str = "test", seed: int = 0):
    """A PIL scene with the given animals in slots 0-3 (None = blank), and its Scene.

    For demos: e.g. `scene_image(["cat", None, "dog", None])`; tiles come from `split`.
    """
    from PIL import Image

    if len(animals) > 4:
        raise ValueError("a scene has four slots")
    _, labels = load_tiles()
    pool = tile_split(seed)[split]
    rng = np.random.default_rng([seed, len(animals), *[hash_name(a) for a in animals]])
    tiles = []
    for animal in list(animals) + [None] * (4 - len(animals)):
        if animal is None:
            tiles.append(-1)
            continue
        key = animal.lower()
        if key not in CLASSES:
            raise ValueError(f"unknown animal {animal!r}; built-in classes: {', '.join(CLASSES)}")
        members = pool[labels[pool] == CLASSES.index(key)]
        tiles.append(int(rng.choice(members)))
    return Image.fromarray(compose(tiles), mode="L"), make_scene(tiles)


def hash_name(name: str | None) -> int:
    return int(hashlib.sha256(str(name).encode()).hexdigest()[:8], 16)


class BuiltinScenes(ImageDataset):
    """`count` scenes of one split as a dataset (true labels include WordNet ancestors).

    Each scene's `names` are its animals; a scene names everything it shows (`complete`),
    so a blank scene is known to show none of them."""

    name = "builtin"
    complete = True

    def __init__(self, split: str, count: int, seed: int = 0) -> None:
        from chameleonapi.vocab import Vocabulary

        self.split, self.count, self.seed = split, count, seed
        self.scenes = sample_scenes(split, count, seed)
        vocab = Vocabulary.builtin()
        self._labels = [vocab.expand(scene.classes) for scene in self.scenes]
        self.names = [tuple(dict.fromkeys(scene.classes)) for scene in self.scenes]

    def __len__(self) -> int:
        return len(self.scenes)

    def image(self, index: int):
        from PIL import Image

        return Image.fromarray(compose(self.scenes[index].tiles), mode="L")

    def labels(self, index: int) -> frozenset[str]:
        return self._labels[index]

    def fingerprint(self) -> str:
        return f"builtin-v{VERSION}-{self.split}-{self.count}-s{self.seed}-{SCENE_SIZE}px"

    def pixels(self, indices: Sequence[int], size: int = INPUT_SIZE) -> np.ndarray:
        if size != SCENE_SIZE:
            return super().pixels(indices, size)
        gray = np.stack([compose(self.scenes[i].tiles) for i in indices])
        return np.repeat(gray[..., None], 3, axis=-1)
