"""Which dataset a data setting names: the built-in scenes, an image folder or a CSV."""

from __future__ import annotations

from pathlib import Path

from chameleonapi.data.base import ALL, SPLITS, ImageDataset

__all__ = ["load_dataset"]


def load_dataset(source: str, split: str, *, seed: int = 0, size: int | None = None) -> ImageDataset:
    """`builtin` (animal scenes), an image folder, or an Open Images style CSV file.

    `size` is at most that many images: a stable subset of user data, or that many scenes
    of the built-in split (no more than its default size).
    """
    if split not in (*SPLITS, ALL) or (split == ALL and source == "builtin"):
        raise ValueError(f"split must be one of {SPLITS} (or {ALL!r} for user data), got {split!r}")
    if source == "builtin":
        from chameleonapi.data.builtin import BuiltinScenes, default_size

        return BuiltinScenes(split, min(size or default_size(split), default_size(split)), seed=seed)
    path = Path(source).expanduser()
    if path.is_dir():
        from chameleonapi.data.folder import ImageFolder

        return ImageFolder(path, split, seed=seed, size=size)
    if path.is_file() and path.suffix.lower() in (".csv", ".tsv"):
        from chameleonapi.data.csv import CsvImages

        return CsvImages(path, split, seed=seed, size=size)
    raise ValueError(f"data source {source!r} is not 'builtin', an image folder or a .csv file")
