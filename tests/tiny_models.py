"""A small stored model for store and serving tests: the generic labeler answering a few labels."""

from __future__ import annotations

from collections.abc import Sequence


def tiny_model(tag: str = "t", labels: Sequence[str] = ("Cat", "Dog", "Animal")):
    """A `PhotoModel` named `tag` that answers only `labels` (the same scores every time)."""
    from chameleonapi.model.photo import PhotoModel

    generic = PhotoModel.generic()
    columns = [generic.vocab_labels.index(label) for label in labels]
    return PhotoModel(generic.space, generic.weight, generic.bias, list(labels), columns, name=tag)
