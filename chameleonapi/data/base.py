"""The dataset interface customization uses, and `load_dataset` to pick a source by name."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from chameleonapi.logs import shown
from chameleonapi.model.transforms import INPUT_SIZE, to_pixels

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

logger = logging.getLogger("chameleonapi")
SPLITS = ("train", "val", "test")
ALL = "all"  # every photo of user data (a folder kept for scoring)
FIRST_NAMES = 3  # files named in a warning about skipped files
_warned: set[str] = set()
_warned_lock = threading.Lock()
VAL_FRACTION = 0.2  # of user data: chooses when to stop, gates, then is folded back into the final fit
TEST_FRACTION = 0.0  # of user data: none held out idle (evaluate on photos of your own keeping)


class ImageDataset:
    """Images with their true label sets.

    Subclasses implement `__len__`, `image(i)`, `labels(i)` (canonical label names, the
    image's labels and their ancestors) and `fingerprint()` (identifies the content, so
    features and models computed from it can be cached). `pixels` is the uint8 network
    input; sources that render their own images may override it with a faster path.
    """

    name = "dataset"

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def image(self, index: int) -> Image:  # pragma: no cover - abstract
        raise NotImplementedError

    def labels(self, index: int) -> frozenset[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def fingerprint(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def label_sets(self) -> list[frozenset[str]]:
        return [self.labels(i) for i in range(len(self))]

    def label_names(self) -> list[str]:
        """Every label that occurs, in first-seen order."""
        seen: dict[str, None] = {}
        for labels in self.label_sets():
            for label in sorted(labels):
                seen.setdefault(label, None)
        return list(seen)

    def pixels(self, indices: Sequence[int], size: int = INPUT_SIZE) -> np.ndarray:
        """uint8 [n, size, size, 3] network input for the given images."""
        return np.stack([to_pixels(self.image(i), size) for i in indices])


class FileImages(ImageDataset):
    """User images on disk: `paths` and their true label sets `_labels`, loaded lazily."""

    paths: list[Path]
    names: list[tuple[str, ...]]  # the user's own label names of each image
    _labels: list[frozenset[str]]

    def __len__(self) -> int:
        return len(self.paths)

    def image(self, index: int) -> Image:
        """The photo upright (its EXIF orientation applied)."""
        from PIL import Image, ImageOps

        with Image.open(self.paths[index]) as img:
            img.load()
            return ImageOps.exif_transpose(img) or img.copy()

    def without(self, indices: Sequence[int]) -> FileImages:
        """The same data less the photos at `indices` (unreadable ones, found while reading)."""
        import copy

        drop = set(indices)
        kept = copy.copy(self)
        keep = [i for i in range(len(self.paths)) if i not in drop]
        kept.paths = [self.paths[i] for i in keep]
        kept.names = [self.names[i] for i in keep]
        kept._labels = [self._labels[i] for i in keep]
        return kept

    def labels(self, index: int) -> frozenset[str]:
        return self._labels[index]


def warn_skipped(what: str, names: Sequence[str], advice: str = "") -> None:
    """One warning for files skipped from training data: how many, and the first few names
    (escaped and shortened: a name cannot forge a log line). Said once per process."""
    first = ", ".join(shown(n) for n in names[:FIRST_NAMES])
    more = f" and {len(names) - FIRST_NAMES} more" if len(names) > FIRST_NAMES else ""
    message = f"skipped {len(names)} {what} (first: {first}{more})" + (f"; {advice}" if advice else "")
    with _warned_lock:
        if message in _warned:
            return
        _warned.add(message)
    logger.warning("%s", message)


def inside(path: Path, root: Path) -> bool:
    """Does `path`, links followed, lie under `root`? (Nothing is opened: names are resolved.)"""
    real = os.path.realpath(path)
    base = os.path.realpath(root)
    return os.path.commonpath([real, base]) == base


def warn_outside(root: Path, names: Sequence[str]) -> None:
    if names:
        warn_skipped(f"file(s) named by the training data outside its folder {shown(root)}", names,
                     "set CHAMELEONAPI_ALLOW_OUTSIDE_DATA=1 to train on files outside it")


def split_of(key: str, seed: int, val_fraction: float = VAL_FRACTION, test_fraction: float = TEST_FRACTION) -> str:
    """Stable split of one item of user data, from a hash of its key and the seed."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    if u < test_fraction:
        return "test"
    if u < test_fraction + val_fraction:
        return "val"
    return "train"


def rank_of(key: str, seed: int) -> float:
    """A stable random rank of one item, independent of its split (for subsets)."""
    digest = hashlib.sha256(f"rank:{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def limit(items: list[tuple], size: int | None) -> list[tuple]:
    """At most `size` items (those of lowest rank, item[0]), kept in their original order:
    a smaller subset is always part of a larger one."""
    if size is None or size >= len(items):
        return items
    keep = set(sorted(range(len(items)), key=lambda i: items[i][0])[:size])
    return [item for i, item in enumerate(items) if i in keep]


def file_digest(paths: Sequence[Path], base: Path | None = None) -> str:
    """Cheap content identity of a file list: names (relative to `base`), sizes, mtimes."""
    h = hashlib.sha256()
    for path in paths:
        stat = path.stat()
        name = path.relative_to(base).as_posix() if base is not None else str(path)
        h.update(f"{name}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]
