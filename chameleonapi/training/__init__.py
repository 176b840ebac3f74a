"""Customization: train a model for one application's decisions, through the model store.

`customize(spec, data)` returns the application's customized model, training it on first use
and loading it from the store afterwards. With `data` an image folder or CSV of photos, the
real (generic ImageNet) labeler is customized (`training/photos.py`); with `data="builtin"`
a silhouette model is trained on the built-in animal scenes (demo, tests, silhouette
benchmark). `train_generic` and `customize(..., loss="basic")` give the two baselines the
paper compares against. Importing this package is cheap; torch loads on the first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.model.custom import CustomModel
    from chameleonapi.spec import DecisionSpec
    from chameleonapi.training.trainer import Budget

__all__ = ["customize", "is_photos", "key_parts", "train_generic"]


def is_photos(data: str) -> bool:
    """User data (an image folder or CSV of photos) rather than the built-in silhouettes."""
    return str(data) != "builtin"


def key_parts(spec: DecisionSpec | None, data: str, *, loss: str, budget: Budget | str | dict, seed: int) -> dict[str, Any]:
    """Everything a stored model depends on (the store hashes it, with the library version)."""
    from chameleonapi.data import load_dataset

    if is_photos(data):
        from chameleonapi.model.photo import FORMAT as PHOTO_FORMAT
        from chameleonapi.training.names import overrides_for
        from chameleonapi.training.photo_features import VERSION
        from chameleonapi.training.photos import DATA_SEED as PHOTO_SEED
        from chameleonapi.training.photos import photo_budget_of

        plan = photo_budget_of(budget)
        train_set = load_dataset(data, "train", seed=PHOTO_SEED, size=plan.train_photos)
        val_set = load_dataset(data, "val", seed=PHOTO_SEED, size=plan.val_photos)
        return {
            "spec": spec.semantic_dict() if spec is not None else None,
            "provider": spec.provider if spec is not None else "",
            "base": "tf_efficientnet_lite0/imagenet/generic-label-space",
            "data": [train_set.fingerprint(), val_set.fingerprint()],
            "training": {**plan.to_dict(), "loss": loss, "seed": seed, "features": f"pooled-v{VERSION}",
                         "heads": f"classes-v{PHOTO_FORMAT}", "names": overrides_for(data)},
        }
    from chameleonapi.training.features import TRUNK_BLOCKS
    from chameleonapi.training.trainer import DATA_SEED, budget_of

    plan = budget_of(budget)
    train_set = load_dataset(data, "train", seed=DATA_SEED, size=plan.train_scenes)
    val_set = load_dataset(data, "val", seed=DATA_SEED, size=plan.val_scenes)
    return {
        "spec": spec.semantic_dict() if spec is not None and loss != "generic" else None,
        "provider": spec.provider if spec is not None else "",
        "base": "tf_efficientnet_lite0/imagenet",
        "data": [train_set.fingerprint(), val_set.fingerprint()],
        "training": {**plan.to_dict(), "loss": loss, "seed": seed, "trunk_blocks": TRUNK_BLOCKS},
    }


def customize(
    spec: DecisionSpec,
    data: str = "builtin",
    *,
    progress: bool = True,
    seed: int = 0,
    budget: Budget | str | dict = "default",
    loss: str = "chameleon",
) -> CustomModel:
    """The model customized to `spec`: from the store, or trained now and stored.

    `data` is an image folder or an Open Images style CSV of photos (the real labeler is
    customized), or `builtin` (the silhouette scenes); `loss` may be `basic` (same data and
    budget, BCE only) for comparisons.
    """
    from chameleonapi import store
    from chameleonapi.errors import require

    require("torch", "timm")

    parts = key_parts(spec, data, loss=loss, budget=budget, seed=seed)
    if is_photos(data):
        from chameleonapi.training.photos import train_photos

        return store.get_or_create(
            parts, lambda: train_photos(spec, data, loss=loss, budget=budget, seed=seed, progress=progress)
        )
    from chameleonapi.training.trainer import train

    return store.get_or_create(
        parts, lambda: train(spec, data, loss=loss, budget=budget, seed=seed, progress=progress)
    )


def train_generic(
    data: str = "builtin",
    *,
    progress: bool = True,
    seed: int = 0,
    budget: Budget | str | dict = "default",
) -> CustomModel:
    """The generic-API baseline. On photos: the real generic labeler, untouched (what an
    application gets with no customization). On the built-in scenes: one model over the
    whole vocabulary, BCE only, cached."""
    if is_photos(data):
        from chameleonapi.model.photo import PhotoModel

        return PhotoModel.generic()
    from chameleonapi import store
    from chameleonapi.training.trainer import train

    parts = key_parts(None, data, loss="generic", budget=budget, seed=seed)
    return store.get_or_create(
        parts, lambda: train(None, data, loss="generic", budget=budget, seed=seed, progress=progress)
    )
