"""An image folder as training data: `root/<label>/<image>`; the folder name is the label.

An image's true labels are the label its folder name resolves to in the generic labeler's
label space (through WordNet: "kitten/" -> Cat, "automobile/" -> Car) plus that label's
ancestors; a name the space lacks becomes a new label under its WordNet ancestors
("deer/" -> Deer, Ruminant, ...), and a name WordNet does not know is kept as it is.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from chameleonapi.data.base import (
    TEST_FRACTION,
    VAL_FRACTION,
    FileImages,
    file_digest,
    inside,
    limit,
    rank_of,
    split_of,
    warn_outside,
)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def true_labels(names: list[str] | tuple[str, ...]) -> frozenset[str]:
    """The labels (with ancestors) that user names resolve to in the generic label space."""
    return _true_labels(tuple(names))


@lru_cache(maxsize=65536)
def _true_labels(names: tuple[str, ...]) -> frozenset[str]:
    from chameleonapi.model.labelspace import LabelSpace, resolve_name

    space = LabelSpace.generic()
    out: set[str] = set()
    for name in names:
        place = resolve_name(name)
        out.add(place.label)
        out.update(place.ancestors if place.new else space.ancestors(place.label))
    return frozenset(out)


@lru_cache(maxsize=8)
def listing(root: str, _mtime: int, allow_outside: bool = False) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(relative path, label folder) of every image under `root/<label>/`, sorted, and the
    relative paths left out because a symbolic link leads them outside `root` (unless allowed)."""
    out, outside = [], []
    base = Path(root)
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        for dirpath, _dirs, files in os.walk(folder):
            rel_dir = Path(dirpath).relative_to(base).as_posix()
            for name in files:
                if os.path.splitext(name)[1].lower() not in IMAGE_SUFFIXES:
                    continue
                if not allow_outside and not inside(Path(dirpath) / name, base):
                    outside.append(f"{rel_dir}/{name}")
                    continue
                out.append((f"{rel_dir}/{name}", folder.name))
    return tuple(sorted(out)), tuple(sorted(outside))


class ImageFolder(FileImages):
    """Images under `root/<label>/`, one split chosen by a stable hash of each path."""

    name = "folder"

    def __init__(self, root: Path | str, split: str = "train", *, seed: int = 0, val_fraction: float = VAL_FRACTION,
                 test_fraction: float = TEST_FRACTION, size: int | None = None) -> None:
        self.root = Path(root)
        self.split, self.seed = split, seed
        self.options: dict[str, Any] = {"val_fraction": val_fraction, "test_fraction": test_fraction, "size": size}
        if not self.root.is_dir():
            raise ValueError(f"{self.root} is not an image folder")
        from chameleonapi import config

        items = []
        found, outside = listing(str(self.root.resolve()), self.root.stat().st_mtime_ns, config.allow_outside_data())
        warn_outside(self.root, outside)
        for rel, label in found:
            if split in ("all", split_of(rel, seed, val_fraction, test_fraction)):
                items.append((rank_of(rel, seed), self.root / rel, label))
        if not items and split == "train":
            raise ValueError(f"no images found under {self.root}/<label>/")
        items = limit(items, size)
        self.paths = [p for _, p, _ in items]
        self.names = [(label,) for _, _, label in items]
        self._labels = [true_labels([label]) for _, _, label in items]

    def fingerprint(self) -> str:
        return f"folder-{file_digest(self.paths, self.root)}-{self.split}-s{self.seed}"

    def with_size(self, size: int | None) -> ImageFolder:
        """The same split with another subset size (a larger one contains this one)."""
        return ImageFolder(self.root, self.split, seed=self.seed, **{**self.options, "size": size})
