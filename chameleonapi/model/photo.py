"""The real labeler customized to one application: same backbone, same label space, new head.

A `PhotoModel` is the generic ImageNet labeler (its classifier grown by one output per new
leaf such as "Deer"); scores are computed exactly as the generic labeler computes them
(softmax over leaves, a label's score the sum of its leaves'), so an application still sees
every label it saw before. A customized model adds a residual head for each label the
application decides on: that label's served score becomes
sigmoid(logit(generic score) + r(features)), r a linear term per label plus an optional
hidden layer the labels share, so the application's labels move freely
while every other label (and the ImageNet classes) stays exactly generic. Only the heads
are stored (the trunk is the shipped ImageNet backbone), as safetensors beside a JSON card.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chameleonapi.atomic import atomic_write_text, atomic_write_via

if TYPE_CHECKING:
    from chameleonapi.model.graphs import Graph

__all__ = ["FORMAT", "KIND", "PhotoModel", "apply_residual", "head_scores", "residual_shift"]

KIND = "photo"
FORMAT = 3  # 2: residual heads on the application's labels; 3: + an optional hidden layer
READS = (2, 3)
WEIGHTS = "model.safetensors"
CARD = "card.json"
EPS = 1e-6


def head_scores(features, weight, bias, membership):
    """Label scores [N, L] from pooled features: softmax over leaves, summed per label."""
    import torch

    probs = torch.softmax(features @ weight.T + bias, dim=-1)
    return (probs @ membership).clamp(0.0, 1.0)


def residual_shift(features, weight, bias, hidden=None):
    """The residual logits [N, R]: features @ weight.T + bias, plus, with a hidden layer
    `(w1 [H, F], b1 [H], w2 [R, H])`, relu(features @ w1.T + b1) @ w2.T."""
    import torch

    shift = features @ weight.T + bias
    if hidden is not None:
        w1, b1, w2 = hidden
        shift = shift + torch.relu(features @ w1.T + b1) @ w2.T
    return shift


def apply_residual(scores, features, columns, weight, bias, hidden=None):
    """`scores` [N, L] with the columns `columns` replaced by
    sigmoid(logit(score) + residual_shift(features)) (differentiable in the heads)."""
    import torch

    index = torch.as_tensor(list(columns), dtype=torch.long)
    shifted = torch.sigmoid(score_logits(scores[:, index]) + residual_shift(features, weight, bias, hidden))
    return scores.index_copy(1, index, shifted)


def score_logits(scores):
    """logit(score): lets losses written for sigmoid outputs train the pooled scores."""
    import torch

    s = scores.clamp(EPS, 1.0 - EPS)
    return torch.log(s) - torch.log1p(-s)


MEMO_SIZE = 8192
_MEMO: OrderedDict = OrderedDict()
_MEMO_LOCK = threading.Lock()
_BACKBONE: list = []


def _image_key(image, size: int) -> str:
    """The pixels and what turns them: the same pixels under another EXIF orientation are another photo."""
    from chameleonapi.model.photo_input import orientation

    return f"{hashlib.sha1(image.tobytes()).hexdigest()}|{image.size}|{image.mode}|{orientation(image)}|{size}"


def _shared_backbone():
    with _MEMO_LOCK:
        if not _BACKBONE:
            from chameleonapi import config
            from chameleonapi.model.backbone import create_backbone, for_inference

            device = config.device()
            _BACKBONE.append((for_inference(create_backbone(pretrained=True), device), device))
        return _BACKBONE[0]


class PhotoModel:
    """Generic backbone + customized classifier over `space`; the engine's LabelModel."""

    def __init__(self, space, weight, bias, output_names: Sequence[str] | None = None,
                 source: Sequence[int] | None = None, *, name: str = "custom", input_size: int = 224,
                 card: dict[str, Any] | None = None, backbone=None, residual=None) -> None:
        self.space = space
        self.weight, self.bias = weight.detach().float().cpu(), bias.detach().float().cpu()
        # (label columns, weight [R, F], bias [R], hidden): the application's labels'
        # residual heads; hidden is None or (w1 [H, F], b1 [H], w2 [R, H])
        self.residual = None
        if residual is not None:
            columns, r_weight, r_bias, *rest = residual
            hidden = rest[0] if rest else None
            columns = [int(c) for c in columns]
            r_weight, r_bias = r_weight.detach().float().cpu(), r_bias.detach().float().cpu()
            if r_weight.shape != (len(columns), self.weight.shape[1]) or r_bias.shape != (len(columns),):
                raise ValueError("residual heads do not match their label columns")
            if any(not 0 <= c < len(space.labels) for c in columns):
                raise ValueError("residual label column outside the label space")
            if hidden is not None:
                w1, b1, w2 = (t.detach().float().cpu() for t in hidden)
                if w1.shape[1] != r_weight.shape[1] or b1.shape != (w1.shape[0],) or w2.shape != (len(columns), w1.shape[0]):
                    raise ValueError("residual hidden layer does not match the heads")
                hidden = (w1, b1, w2)
            self.residual = (columns, r_weight, r_bias, hidden)
        self.vocab_labels = list(space.labels)
        self.labels = list(output_names) if output_names is not None else list(self.vocab_labels)
        self.source = list(source) if source is not None else list(range(len(self.vocab_labels)))
        if len(self.source) != len(self.labels):
            raise ValueError("source must give one label column per output name")
        if self.weight.shape[0] != len(space.leaves):
            raise ValueError(f"classifier has {self.weight.shape[0]} outputs, the space {len(space.leaves)} leaves")
        self.name = name
        self.input_size = input_size
        self.card: dict[str, Any] = dict(card or {})
        self._backbone = backbone
        self._membership = None
        self._device = None
        self._graph: Graph | None = None  # the heads' ONNX graph (from the saved model, or exported on first use)
        self._runtime: str | None = None

    @classmethod
    def generic(cls, space=None, provider: str = "", **kwargs: Any) -> PhotoModel:
        """The generic labeler as a PhotoModel (new leaves never fire)."""
        import torch

        from chameleonapi.model.backbone import imagenet_state_dict
        from chameleonapi.model.labelspace import LabelSpace
        from chameleonapi.vocab import provider_style

        space = space or LabelSpace.generic()
        state = imagenet_state_dict()
        weight, bias = state["classifier.weight"], state["classifier.bias"]
        extra = len(space.leaves) - weight.shape[0]
        if extra:
            weight = torch.cat([weight, torch.zeros(extra, weight.shape[1])])
            bias = torch.cat([bias, torch.full((extra,), -1e4)])
        names = [provider_style(label, provider) for label in space.labels]
        return cls(space, weight, bias, names, name=kwargs.pop("name", "generic"), **kwargs)

    # ------------------------------------------------------------------ inference
    def membership(self):
        if self._membership is None:
            self._membership = self.space.membership()
        return self._membership

    def head_scores(self, feats):
        """Label scores [N, len(vocab_labels)] of pooled features, in torch (what is exported)."""
        scores = head_scores(feats, self.weight, self.bias, self.membership())
        if self.residual is not None:
            scores = apply_residual(scores, feats, *self.residual)
        return scores

    def scores_from_features(self, features) -> np.ndarray:
        """Label scores [N, len(vocab_labels)] from cached pooled features (torch)."""
        import torch

        with torch.inference_mode():
            return self.head_scores(torch.as_tensor(features).float()).numpy()

    @property
    def runtime(self) -> str:
        """"onnx" or "torch": what reads features and scores them when serving."""
        if self._runtime is None:
            from chameleonapi.model.graphs import runtime

            self._runtime = "torch" if self._backbone is not None else runtime()
        return self._runtime

    def export_heads(self) -> bytes:
        """The ONNX graph of the heads: pooled features [N, 1280] -> label scores."""
        import torch

        from chameleonapi.model import graphs

        self.membership()  # built before tracing: the graph holds the matrix, not how it was made
        return graphs.export(graphs.module_of(self.head_scores), torch.zeros(1, self.weight.shape[1]))

    def heads_graph(self):
        """The heads' session (exported in memory when the model was not loaded with one)."""
        if self._graph is None:
            from chameleonapi.model import graphs

            self._graph = graphs.load(self.export_heads(), f"{self.name} heads")
        return self._graph

    def backbone(self):
        """The frozen ImageNet backbone, shared by every PhotoModel of the process."""
        if self._backbone is None:
            self._backbone, self._device = _shared_backbone()
        return self._backbone

    def features(self, images: Sequence):
        """Pooled backbone features [N, 1280] of PIL images (recently seen images are
        remembered: every PhotoModel shares the same frozen backbone)."""
        import torch

        from chameleonapi.model.photo_input import feature_graph, pooled, prepare

        keys = [_image_key(image, self.input_size) for image in images]
        missing = [i for i, k in enumerate(keys) if k not in _MEMO]
        if missing:
            batch = prepare([images[i] for i in missing], self.input_size)
            if self.runtime == "onnx":
                feats = torch.from_numpy(feature_graph(self.input_size)(batch))
            else:
                model = self.backbone()
                with torch.inference_mode():
                    feats = pooled(model, torch.from_numpy(batch).to(self._device or "cpu")).float().cpu()
            with _MEMO_LOCK:
                for i, row in zip(missing, feats):
                    _MEMO[keys[i]] = row
                    _MEMO.move_to_end(keys[i])
                while len(_MEMO) > MEMO_SIZE:
                    _MEMO.popitem(last=False)
        with _MEMO_LOCK:
            rows = [_MEMO.get(k) for k in keys]
        if any(r is None for r in rows):  # evicted meanwhile by another thread: compute directly
            _MEMO.clear()
            return self.features(images)
        return torch.stack(rows)

    def predict_columns(self, images: Sequence) -> np.ndarray:
        if not images:
            return np.zeros((0, len(self.vocab_labels)), dtype=np.float32)
        if self.runtime == "onnx":
            try:
                return self.heads_graph()(self.features(images).numpy())
            except Exception as exc:  # never let the runtime's failure reach the application
                from chameleonapi.model.graphs import fall_back

                self._runtime = fall_back(f"model {self.name}", exc)
        return self.scores_from_features(self.features(images))

    def predict(self, images: Sequence) -> np.ndarray:
        """Scores [N, len(labels)] in [0, 1] for any PIL images."""
        return self.predict_columns(images)[:, self.source]

    # ------------------------------------------------------------------ persistence
    def describe(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "format": FORMAT,
            "name": self.name,
            "arch": "tf_efficientnet_lite0",
            "input_size": self.input_size,
            "label_space": self.space.to_dict(),
            "output_names": self.labels,
            "source": self.source,
            "residual_columns": self.residual[0] if self.residual is not None else [],
            "residual_hidden": (int(self.residual[3][0].shape[0])
                                if self.residual is not None and self.residual[3] is not None else 0),
        }

    def save(self, path: Path | str, extra: dict[str, Any] | None = None) -> Path:
        from safetensors.torch import save_file

        from chameleonapi.model.files import sha256_of, write_graph

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        weights = folder / WEIGHTS
        state = {"classifier.weight": self.weight.contiguous(), "classifier.bias": self.bias.contiguous()}
        if self.residual is not None:
            state["residual.weight"] = self.residual[1].contiguous()
            state["residual.bias"] = self.residual[2].contiguous()
            if self.residual[3] is not None:
                w1, b1, w2 = self.residual[3]
                state["residual.hidden.weight"] = w1.contiguous()
                state["residual.hidden.bias"] = b1.contiguous()
                state["residual.out.weight"] = w2.contiguous()
        atomic_write_via(weights, lambda tmp: save_file(state, str(tmp), metadata={"kind": KIND}))
        graph = write_graph(folder, self.export_heads)
        if graph:
            from chameleonapi.model.backbone import ARCH

            # the heads read the shared trunk graph's pooled features
            graph["trunk_graph"] = f"{ARCH}.imagenet.features-{self.input_size}"
        card = {**self.card, **(extra or {}), **self.describe(), **graph, "sha256": sha256_of(weights)}
        self.card = card
        atomic_write_text(folder / CARD, json.dumps(card, indent=1, sort_keys=True, default=str) + "\n")
        return folder

    @classmethod
    def from_card(cls, folder: Path, card: dict[str, Any], verify: bool = True) -> PhotoModel:
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        from chameleonapi.model.files import CorruptModel, read_graph, sha256_of
        from chameleonapi.model.labelspace import LabelSpace

        weights = folder / WEIGHTS
        try:
            if verify and sha256_of(weights) != card["sha256"]:
                raise CorruptModel(f"{weights}: checksum does not match {CARD}")
            if card.get("format", 1) not in READS:
                raise ValueError(f"format {card.get('format', 1)!r}, this library reads {READS}")
            state = load_file(str(weights))
            space = LabelSpace.from_dict(card.get("label_space") or {})
            columns = card.get("residual_columns") or []
            hidden = ((state["residual.hidden.weight"], state["residual.hidden.bias"], state["residual.out.weight"])
                      if "residual.hidden.weight" in state else None)
            residual = (columns, state["residual.weight"], state["residual.bias"], hidden) if columns else None
            model = cls(space, state["classifier.weight"], state["classifier.bias"], card["output_names"],
                        card["source"], name=card.get("name", "custom"), input_size=int(card.get("input_size", 224)),
                        card=card, residual=residual)
            model._graph = read_graph(folder, card, verify)
            return model
        except CorruptModel:
            raise
        except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as exc:
            raise CorruptModel(f"{folder}: unreadable model ({exc})") from exc
