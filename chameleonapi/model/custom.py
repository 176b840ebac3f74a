"""A model customized to one application: the engine's LabelModel, saved as safetensors + card.

The network is the full timm backbone whose last stage and new classifier were trained over
the vocabulary labels; `predict` accepts any PIL image (size, mode) and applies the same
preprocessing as training. `labels` are the names the application sees: vocabulary labels
in the provider's style, then aliases for app strings only a synonym maps ("puppy"), whose
score is that of the label they mean.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chameleonapi.atomic import atomic_write_text, atomic_write_via
from chameleonapi.model.files import CorruptModel, read_graph, sha256_of, write_graph

if TYPE_CHECKING:
    from chameleonapi.model.graphs import Graph

__all__ = ["CARD", "FORMAT", "WEIGHTS", "CorruptModel", "CustomModel", "sha256_of"]

WEIGHTS = "model.safetensors"
CARD = "card.json"
FORMAT = 1


class CustomModel:
    """Trained network + label naming; implements `name`, `labels`, `predict`."""

    def __init__(
        self,
        network,
        vocab_labels: Sequence[str],
        output_names: Sequence[str] | None = None,
        source: Sequence[int] | None = None,
        *,
        name: str = "custom",
        input_size: int = 112,
        card: dict[str, Any] | None = None,
    ) -> None:
        self.network = network.eval()
        self.vocab_labels = list(vocab_labels)
        self.labels = list(output_names) if output_names is not None else list(self.vocab_labels)
        self.source = list(source) if source is not None else list(range(len(self.vocab_labels)))
        if len(self.source) != len(self.labels):
            raise ValueError("source must give one vocabulary column per output name")
        self.name = name
        self.input_size = input_size
        self.card: dict[str, Any] = dict(card or {})
        self.graph: Graph | None = None  # the network's ONNX graph (from the saved model, or exported on first use)
        self._runtime: str | None = None

    # ------------------------------------------------------------------ inference
    @property
    def runtime(self) -> str:
        """"onnx" or "torch": what answers `predict`."""
        if self._runtime is None:
            from chameleonapi.model.graphs import runtime

            self._runtime = runtime()
        return self._runtime

    def export(self) -> bytes:
        """The ONNX graph of the network with its sigmoid: input batch -> vocabulary scores."""
        import torch

        from chameleonapi.model import graphs
        from chameleonapi.model.backbone import static_padding

        size = self.input_size
        network = static_padding(self.network, size)
        return graphs.export(graphs.module_of(lambda x: torch.sigmoid(network(x)), network),
                             torch.zeros(1, 3, size, size))

    def session(self):
        """The network's session (exported in memory when the model was not loaded with one)."""
        if self.graph is None:
            from chameleonapi.model import graphs

            self.graph = graphs.load(self.export(), f"{self.name} network")
        return self.graph

    def logits(self, batch):
        """Raw vocabulary logits for a preprocessed float32 batch [N, 3, S, S]."""
        import torch

        with torch.inference_mode():
            return self.network(torch.as_tensor(batch))

    def predict_columns(self, images: Sequence) -> np.ndarray:
        """Scores [N, len(vocab_labels)] (no aliases)."""
        from chameleonapi.model.transforms import to_input

        if not images:
            return np.zeros((0, len(self.vocab_labels)), dtype=np.float32)
        batch = to_input(images, self.input_size)
        if self.runtime == "onnx":
            try:
                return self.session()(batch)
            except Exception as exc:  # never let the runtime's failure reach the application
                from chameleonapi.model.graphs import fall_back

                self._runtime = fall_back(f"model {self.name}", exc)
        import torch

        return torch.sigmoid(self.logits(batch)).numpy()

    def predict(self, images: Sequence) -> np.ndarray:
        """Scores [N, len(labels)] in [0, 1] for any PIL images."""
        return self.predict_columns(images)[:, self.source]

    # ------------------------------------------------------------------ persistence
    def describe(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "name": self.name,
            "arch": self.card.get("arch", "tf_efficientnet_lite0"),
            "input_size": self.input_size,
            "vocab_labels": self.vocab_labels,
            "output_names": self.labels,
            "source": self.source,
        }

    def save(self, path: Path | str, extra: dict[str, Any] | None = None) -> Path:
        """Write `path/model.safetensors` and `path/card.json` (with the weights' sha256)."""
        from safetensors.torch import save_file

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous().cpu() for k, v in self.network.state_dict().items()}
        weights = folder / WEIGHTS
        atomic_write_via(weights, lambda tmp: save_file(state, str(tmp), metadata={"format": str(FORMAT)}))
        graph = write_graph(folder, self.export)
        card = {**self.card, **(extra or {}), **self.describe(), **graph, "sha256": sha256_of(weights)}
        self.card = card
        atomic_write_text(folder / CARD, json.dumps(card, indent=1, sort_keys=True, default=str) + "\n")
        return folder

    @classmethod
    def load(cls, path: Path | str, *, verify: bool = True):
        """Read a saved model (a `PhotoModel` when its card says so); CorruptModel if files
        are missing or the checksum differs."""
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        from chameleonapi.model.backbone import create_backbone

        folder = Path(path)
        try:
            card = json.loads((folder / CARD).read_text(encoding="utf-8"))
            if card.get("kind") == "photo":  # the real labeler customized on photos
                from chameleonapi.model.photo import PhotoModel

                return PhotoModel.from_card(folder, card, verify)
            weights = folder / WEIGHTS
            if verify and sha256_of(weights) != card["sha256"]:
                raise CorruptModel(f"{weights}: checksum does not match {CARD}")
            state = load_file(str(weights))
            network = create_backbone(pretrained=False, num_classes=len(card["vocab_labels"]))
            network.load_state_dict(state, strict=True)
            graph = read_graph(folder, card, verify)
        except CorruptModel:
            raise
        except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as exc:
            raise CorruptModel(f"{folder}: unreadable model ({exc})") from exc
        model = cls(
            network,
            card["vocab_labels"],
            card["output_names"],
            card["source"],
            name=card.get("name", "custom"),
            input_size=int(card.get("input_size", 112)),
            card=card,
        )
        model.graph = graph
        return model

