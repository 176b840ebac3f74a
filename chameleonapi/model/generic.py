"""The generic labeler: what a cloud labeling API is to every application.

ImageNet-1k classifier on the real pretrained backbone; each class is reported under its
Google-style name and under its WordNet ancestors. An ancestor's score is the sum of its
descendants' probabilities, so "Cat" is at least as likely as "Tabby cat".
"""

from __future__ import annotations

import hashlib
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
    """ImageNet classifier + ancestor pooling; implements the engine's LabelModel.

    With the ONNX runtime the whole computation (backbone, softmax, ancestor pooling) is one
    graph, shared by every instance of the process; the torch model is built only to export
    it or when torch answers (`chameleonapi.model.graphs`).
    """

    name = "generic"

    def __init__(self, model=None, runtime: str | None = None) -> None:
        import torch

        from chameleonapi.model import graphs
        from chameleonapi.model.backbone import configure_threads
        from chameleonapi.model.photo_input import INPUT_SIZE, photo_transform

        configure_threads()
        self._model = model
        self.runtime = runtime or graphs.runtime()
        self.input_size = INPUT_SIZE
        self.transform = photo_transform(INPUT_SIZE)  # timm's eval transform of the backbone
        self.labels, members = label_membership()
        membership = torch.zeros(1000, len(self.labels))
        for column, classes in enumerate(members):
            membership[classes, column] = 1.0
        self.membership = membership
        self.graph = None
        if self.runtime == "onnx":
            try:
                self.graph = self._graph()
            except Exception as exc:  # never let the runtime's failure reach the application
                self.runtime = graphs.fall_back("generic labeler", exc)

    @property
    def model(self):
        """The torch model (folded batch norms, channels-last), built on first use."""
        if self._model is None:
            from chameleonapi.model.backbone import create_backbone, for_inference

            self._model = for_inference(create_backbone(pretrained=True))
        return self._model.eval()

    def _scores(self, batch):
        return (self.model(batch).softmax(dim=-1) @ self.membership).clamp_(0.0, 1.0)

    def _graph(self):
        from chameleonapi.model import graphs
        from chameleonapi.model.backbone import ARCH, static_padding, weights_checksum

        def build() -> bytes:
            import torch

            model = static_padding(self.model, self.input_size)
            scores = lambda x: (model(x).softmax(dim=-1) @ self.membership).clamp(0.0, 1.0)  # noqa: E731 (as `_scores`)
            return graphs.export(graphs.module_of(scores, model), torch.zeros(1, 3, self.input_size, self.input_size))

        if self._model is not None:  # a model of the caller's: its graph is its own, never shared
            return graphs.load(build(), "generic labeler")
        digest = hashlib.sha256("\n".join(self.labels).encode()).hexdigest()[:16]
        path = graphs.graph_path(f"{ARCH}.imagenet.generic-{self.input_size}", labels=digest, weights=weights_checksum())
        return graphs.shared_graph(path, build)

    def preprocess(self, images: Sequence):
        """Resize-and-center-crop; the center window is cut first so any aspect ratio costs little."""
        import torch

        from chameleonapi.imaging.fit import center_window

        return torch.stack([self.transform(center_window(image.convert("RGB"))) for image in images])

    def forward_tensor(self, batch):
        """Scores [N, L] for an already preprocessed batch (by the labeler's runtime)."""
        import torch

        if self.graph is not None:
            return torch.from_numpy(self.graph(batch.numpy()))
        with torch.inference_mode():
            return self._scores(batch)

    def predict(self, images: Sequence):
        if self.graph is not None:  # the input made without torch, the same to float rounding
            from chameleonapi.imaging.fit import center_window
            from chameleonapi.model.photo_input import to_array

            rgb = [image if image.mode == "RGB" else image.convert("RGB") for image in images]  # decoded: RGB already
            return self.graph(to_array([center_window(image) for image in rgb], self.input_size))
        return self.forward_tensor(self.preprocess(images)).numpy()


@register_model("generic")
def create_generic(**_: object) -> GenericLabeler:
    return GenericLabeler()
