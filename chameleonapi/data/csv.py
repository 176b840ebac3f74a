"""An Open Images style CSV as training data.

Accepted layouts (header names are matched case-insensitively):
- one row per (image, label): `ImageID,LabelName[,Confidence]` as in Open Images'
  human-verified labels; rows with Confidence 0 are verified negatives and are skipped;
  `DisplayName` is preferred over `LabelName` when both exist (LabelName may be a MID);
- one row per image with a label list column: `image,labels` where labels are separated
  by `;` or `|`.
The image column may hold a path (relative to the CSV's folder) or an Open Images id,
looked up as `<id>.jpg|.png` beside the CSV or in its `images/` folder.
"""

from __future__ import annotations

import csv as _csv
from collections.abc import Sequence
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
from chameleonapi.data.folder import IMAGE_SUFFIXES, true_labels

IMAGE_COLUMNS = ("path", "image", "imageid", "image_id", "filename", "file")
LIST_COLUMNS = ("labels", "label_names", "tags")
NAME_COLUMNS = ("displayname", "display_name", "labelname", "label_name", "label", "name")


def _column(header: Sequence[str], choices: tuple[str, ...]) -> str | None:
    lowered = {h.strip().lower(): h for h in header}
    return next((lowered[c] for c in choices if c in lowered), None)


def _split_list(text: str) -> list[str]:
    for sep in (";", "|"):
        if sep in text:
            return [t.strip() for t in text.split(sep) if t.strip()]
    return [text.strip()] if text.strip() else []


class CsvImages(FileImages):
    """Images and label names read from a CSV, one split by a stable hash of each image."""

    name = "csv"

    def __init__(self, path: Path | str, split: str = "train", *, seed: int = 0, val_fraction: float = VAL_FRACTION,
                 test_fraction: float = TEST_FRACTION, size: int | None = None) -> None:
        self.path = Path(path)
        self.split, self.seed = split, seed
        self.options: dict[str, Any] = {"val_fraction": val_fraction, "test_fraction": test_fraction, "size": size}
        delimiter = "\t" if self.path.suffix.lower() == ".tsv" else ","
        with open(self.path, newline="", encoding="utf-8") as fh:
            reader = _csv.DictReader(fh, delimiter=delimiter)
            header = reader.fieldnames or []
            image_col = _column(header, IMAGE_COLUMNS)
            list_col = _column(header, LIST_COLUMNS)
            name_col = _column(header, NAME_COLUMNS)
            conf_col = _column(header, ("confidence",))
            if image_col is None or (list_col is None and name_col is None):
                raise ValueError(
                    f"{self.path}: need an image column ({'/'.join(IMAGE_COLUMNS)}) and a label "
                    f"column ({'/'.join(LIST_COLUMNS + NAME_COLUMNS)}); found {header}"
                )
            grouped: dict[str, list[str]] = {}
            for row in reader:
                key = (row.get(image_col) or "").strip()
                if not key:
                    continue
                names = grouped.setdefault(key, [])
                if conf_col and (row.get(conf_col) or "1").strip() in ("0", "0.0"):
                    continue
                raw = row.get(list_col) if list_col else row.get(name_col)
                names.extend(n for n in _split_list(raw or "") if n not in names)
        chosen = [(rank_of(key, seed), key, names) for key, names in grouped.items()
                  if split in ("all", split_of(key, seed, val_fraction, test_fraction))]
        chosen = limit(chosen, size)
        from chameleonapi import config

        self._allow_outside = config.allow_outside_data()
        if not self._allow_outside:  # one warning for the whole file, whichever split is read
            base = self.path.parent
            warn_outside(base, [key for key in grouped if not inside(base / key, base)])
        located = [(self._find(key), names) for _, key, names in chosen]
        found = [(path, names) for path, names in located if path is not None]
        self.paths = [path for path, _ in found]
        self.names = [tuple(names) for _, names in found]
        self._labels = [true_labels(names) for _, names in found]
        if not self.paths and split == "train":
            raise ValueError(f"{self.path}: no images in the train split")

    def _find(self, key: str) -> Path | None:
        """The image a row names; None when it lies outside the CSV's folder (an absolute
        path, `../`, a link leading out) and that is not allowed: it is never opened."""
        base = self.path.parent
        for candidate in [base / key] + [folder / f"{key}{suffix}" for folder in (base, base / "images")
                                         for suffix in IMAGE_SUFFIXES]:
            if not self._allow_outside and not inside(candidate, base):
                return None
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(f"{self.path}: image {key!r} not found beside the CSV or in images/")

    def fingerprint(self) -> str:
        return f"csv-{file_digest([self.path, *self.paths])}-{self.split}-s{self.seed}"

    def with_size(self, size: int | None) -> CsvImages:
        """The same split with another subset size (a larger one contains this one)."""
        return CsvImages(self.path, self.split, seed=self.seed, **{**self.options, "size": size})
