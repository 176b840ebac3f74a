"""Check user data before minutes of training: every split non-empty, every category present.

Problems become `DataError` with a message that says what to add, instead of a crash deep in
training (an empty split used to end in `torch.cat(): expected a non-empty list`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chameleonapi.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.spec import DecisionSpec

__all__ = ["MIN_PER_CATEGORY", "check_data"]

MIN_PER_CATEGORY = 2  # training images that must show each of the application's categories


def _load(source: str, split: str):
    from chameleonapi.data import load_dataset
    from chameleonapi.training.pipeline import DATA_SEED

    try:
        return load_dataset(source, split, seed=DATA_SEED)
    except DataError:
        raise
    except (ValueError, FileNotFoundError) as exc:
        raise DataError(f"data {source}: {exc}") from None


def check_data(source: str, splits: Sequence[str], specs: Sequence[DecisionSpec] = ()) -> None:
    """Raise DataError unless user data `source` gives every split and enough per category."""
    if source == "builtin":
        return
    datasets = {}
    for split in splits:
        try:
            datasets[split] = _load(source, split)
        except DataError:
            if split == "train" and _image_count(source):  # images exist, none hashed into train
                raise DataError(_empty_split(source, split, _image_count(source), splits)) from None
            raise
    for dataset in datasets.values():
        _check_images(source, getattr(dataset, "paths", ()))
    total = sum(len(d) for d in datasets.values())
    for split, dataset in datasets.items():
        if len(dataset) == 0:
            raise DataError(_empty_split(source, split, total, splits))
    train = datasets.get("train")
    if train is None:
        return
    for spec in specs:
        counts = _category_counts(spec, train, source)
        thin = {name: n for name, n in counts.items() if n < MIN_PER_CATEGORY}
        if thin:
            shown = ", ".join(f"{name!r} ({n})" for name, n in thin.items())
            raise DataError(
                f"data {source}: too little data per category for the decision at {spec.call}: "
                f"{shown} training image(s); add at least {MIN_PER_CATEGORY} images of each"
            )


def _empty_split(source: str, split: str, total: int, splits: Sequence[str]) -> str:
    from chameleonapi import config

    outside = 0 if config.allow_outside_data() else len(_images(source, outside_only=True))
    if outside * 2 > total:  # the usual cause: a folder of links to photos kept elsewhere
        return (f"data {source}: the {split} split is empty: {outside} of its {total} image(s) are links to files "
                "outside the folder, which training skips; copy the photos in, or set "
                "CHAMELEONAPI_ALLOW_OUTSIDE_DATA=1 to train on them")
    return (f"data {source}: the {split} split is empty ({total} image(s) in all); images are split "
            "train/val about 80/20 by a stable hash of their names, so give each category at least ten images")


def _image_count(source: str) -> int:
    return len(_images(source))


def _images(source: str, *, outside_only: bool = False) -> list:
    """The image files under the folder `source` (none for a CSV); `outside_only`: those whose
    links lead outside it."""
    from pathlib import Path

    from chameleonapi.data.base import inside
    from chameleonapi.data.folder import IMAGE_SUFFIXES

    root = Path(source)
    if not root.is_dir():
        return []
    found = [p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    return [p for p in found if not inside(p, root)] if outside_only else found


def _check_images(source: str, paths: Sequence) -> None:
    """Every image file opens (its header is read; pixels are decoded later, in training)."""
    from PIL import Image, UnidentifiedImageError

    for path in paths:
        try:
            with Image.open(path) as image:
                image.size  # noqa: B018 - reading the header is the check
        except (UnidentifiedImageError, OSError) as exc:
            raise DataError(f"data {source}: cannot read image {path} ({type(exc).__name__}); "
                            "remove or replace it") from None


def _category_counts(spec: DecisionSpec, dataset, source: str) -> dict[str, int]:
    """Training images whose names (read for the application) make it decide each category."""
    from chameleonapi.training.names import overrides_for
    from chameleonapi.training.pipeline import class_truth, photo_classes, prepare_data

    prepared = prepare_data(spec, [dataset], overrides_for(source))
    classes, labels = photo_classes(prepared, dataset)
    truth_of = class_truth(spec, prepared, labels)
    truth = [truth_of[c] for c in classes if c >= 0]
    counts = {name: 0 for name in spec.category_names}
    for cats in truth:
        for name in cats:
            if name in counts:
                counts[name] += 1
    return counts
