"""The generic labeler: what a cloud labeling API is to every application.

ImageNet-1k classifier on the real pretrained backbone; each class is reported under its
Google-style name and under its WordNet ancestors. An ancestor's score is the sum of its
descendants' probabilities, so "Cat" is at least as likely as "Tabby cat".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

from chameleonapi.model.registry import register_model

LABEL_TABLE = "imagenet_labels.json"


@lru_cache(maxsize=1)
def label_table() -> dict:
    """The shipped ImageNet → label/ancestor table (WordNet 3.0 derived)."""
    text = resources.files("chameleonapi.model").joinpath("data", LABEL_TABLE).read_text("utf-8")
    return json.loads(text)


def label_membership() -> tuple[list[str], list[list[int]]]:
    """Label names and, for each, the ImageNet class indices it covers."""
    order: dict[str, list[int]] = {}
    for index, entry in enumerate(label_table()["classes"]):
        for name in [entry["label"], *entry["ancestors"]]:
            members = order.setdefault(name, [])
            if index not in members:
                members.append(index)
    return list(order), list(order.values())


class GenericLabeler:
    """ImageNet classifier + ancestor pooling; implements the engine's LabelModel."""

    name = "generic"

    def __init__(self, model=None) -> None:
        import torch
        from timm.data import create_transform

        from chameleonapi.model.backbone import create_backbone, data_config, for_inference

        self.model = model if model is not None else for_inference(create_backbone(pretrained=True))
        self.model.eval()
        self.transform = create_transform(**data_config(self.model))
        self.labels, members = label_membership()
        membership = torch.zeros(1000, len(self.labels))
        for column, classes in enumerate(members):
            membership[classes, column] = 1.0
        self.membership = membership

    def preprocess(self, images: Sequence):
        """Resize-and-center-crop; the center window is cut first so any aspect ratio costs little."""
        import torch

        from chameleonapi.imaging.fit import center_window

        return torch.stack([self.transform(center_window(image.convert("RGB"))) for image in images])

    def forward_tensor(self, batch):
        """Scores [N, L] for an already preprocessed batch."""
        import torch

        with torch.inference_mode():
            probs = self.model(batch).softmax(dim=-1)
            return (probs @ self.membership).clamp_(0.0, 1.0)

    def predict(self, images: Sequence):
        return self.forward_tensor(self.preprocess(images)).numpy()


@register_model("generic")
def create_generic(**_: object) -> GenericLabeler:
    return GenericLabeler()
