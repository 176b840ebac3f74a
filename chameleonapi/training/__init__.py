"""Customization: train a model for one application's decisions, through the model store.

`customize(spec)` returns the application's customized model, training it on first use
(built-in animal scenes by default) and loading it from the store afterwards. `train_generic`
and `customize(..., loss="basic")` give the two baselines the paper compares against.
Importing this package is cheap; torch loads on the first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.model.custom import CustomModel
    from chameleonapi.spec import DecisionSpec
    from chameleonapi.training.trainer import Budget

__all__ = ["customize", "key_parts", "train_generic"]


def key_parts(spec: DecisionSpec | None, data: str, *, loss: str, budget: Budget | str | dict, seed: int) -> dict[str, Any]:
    """Everything a stored model depends on (the store hashes it, with the library version)."""
    from chameleonapi.data import load_dataset
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

    `data` is `builtin`, an image folder or an Open Images style CSV; `loss` may be
    `basic` (same data and budget, BCE only) for comparisons.
    """
    from chameleonapi import store
    from chameleonapi.errors import require

    require("torch", "timm")
    from chameleonapi.training.trainer import train

    parts = key_parts(spec, data, loss=loss, budget=budget, seed=seed)
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
    """The generic-API baseline: one model over the whole vocabulary, BCE only, cached."""
    from chameleonapi import store
    from chameleonapi.training.trainer import train

    parts = key_parts(None, data, loss="generic", budget=budget, seed=seed)
    return store.get_or_create(
        parts, lambda: train(None, data, loss="generic", budget=budget, seed=seed, progress=progress)
    )
