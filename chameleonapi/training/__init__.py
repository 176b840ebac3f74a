"""Customization: train a model for one application's decisions, through the model store.

`customize(spec, data)` returns the application's customized model, training it on first use
(`training/pipeline.py`: the same pipeline for an image folder, a CSV of photos and the
built-in scenes) and loading it from the store afterwards. `train_generic` and
`customize(..., loss="basic")` give the two baselines the paper compares against. Importing
this package is cheap; torch loads on the first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.model.photo import PhotoModel
    from chameleonapi.spec import DecisionSpec
    from chameleonapi.training.pipeline import Budget

__all__ = ["customize", "key_parts", "train_generic"]


def key_parts(spec: DecisionSpec | None, data: str, *, loss: str, budget: Budget | str | dict, seed: int) -> dict[str, Any]:
    """Everything a stored model depends on (the store hashes it, with the library version)."""
    from chameleonapi.data import load_dataset
    from chameleonapi.model.photo import FORMAT
    from chameleonapi.training.names import overrides_for
    from chameleonapi.training.photo_features import VERSION
    from chameleonapi.training.pipeline import DATA_SEED, budget_of

    plan = budget_of(budget)
    train_set = load_dataset(data, "train", seed=DATA_SEED, size=plan.train_photos)
    val_set = load_dataset(data, "val", seed=DATA_SEED, size=plan.val_photos)
    return {
        "spec": spec.semantic_dict() if spec is not None else None,
        "provider": spec.provider if spec is not None else "",
        "base": "tf_efficientnet_lite0/imagenet/generic-label-space",
        "data": [train_set.fingerprint(), val_set.fingerprint()],
        "training": {**plan.to_dict(), "loss": loss, "seed": seed, "features": f"pooled-v{VERSION}",
                     "heads": f"classes-v{FORMAT}", "names": overrides_for(data)},
    }


def customize(
    spec: DecisionSpec,
    data: str = "builtin",
    *,
    progress: bool = True,
    seed: int = 0,
    budget: Budget | str | dict = "default",
    loss: str = "chameleon",
) -> PhotoModel:
    """The model customized to `spec`: from the store, or trained now and stored.

    `data` is an image folder, an Open Images style CSV of photos, or `builtin` (the
    silhouette scenes); `loss` may be `basic` (same data and budget, the class head's
    logistic regression alone) for comparisons.
    """
    from chameleonapi import store
    from chameleonapi.errors import require
    from chameleonapi.training.pipeline import train

    require("torch", "timm")
    parts = key_parts(spec, data, loss=loss, budget=budget, seed=seed)
    return store.get_or_create(
        parts, lambda: train(spec, data, loss=loss, budget=budget, seed=seed, progress=progress)
    )


def train_generic(provider: str = "") -> PhotoModel:
    """The generic-API baseline: the generic labeler, untouched (what an application gets with
    no customization), whatever the data."""
    from chameleonapi.model.photo import PhotoModel

    return PhotoModel.generic(provider=provider)
