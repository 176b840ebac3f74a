"""The real labeler customized to one application: same backbone, same label space, new head.

A `PhotoModel` is the generic ImageNet labeler over its label space (grown by one leaf per
new label such as "Rain", which the generic classifier never outputs); scores are computed
exactly as the generic labeler computes them (softmax over leaves, a label's score the sum
of its leaves'), so an application still sees every label it saw before. A customized model
adds a class head on the user's photo classes (their folders): a softmax over the classes
on the pooled features, rendered into the application's labels (a label's score is the
probability of the classes that show it), which replaces the generic score of those labels
only; every other label (and every ImageNet class) stays exactly generic. Only the heads are
stored (the trunk is the shipped ImageNet backbone), as safetensors beside a JSON card.

A fine-tuned model also holds its own last stage (`training/finetune.py`): the class head
then reads that stage's pooled features, while the generic labels still read the shared
frozen trunk's, so they stay exactly generic. Such a model is served by torch: the shared
trunk graph outputs the pooled features only, and its last stage reads the stage's input.
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
from chameleonapi.model.photo_input import DIM

if TYPE_CHECKING:
    from chameleonapi.model.graphs import Graph

__all__ = ["FORMAT", "KIND", "PhotoModel", "apply_classes", "class_scores", "head_scores", "score_logits"]

KIND = "photo"
FORMAT = 4  # 4: a class head on the user's classes rendered into the application's labels
TUNED_FORMAT = 5  # 5: and its own fine-tuned last stage (`tail.*` weights)
READS = (4, 5)
TAIL = "tail."
WEIGHTS = "model.safetensors"
CARD = "card.json"
EPS = 1e-6


def head_scores(features, weight, bias, membership):
    """Label scores [N, L] from pooled features: softmax over leaves, summed per label."""
    import torch

    probs = torch.softmax(features @ weight.T + bias, dim=-1)
    return (probs @ membership).clamp(0.0, 1.0)


def class_scores(features, weight, bias, render):
    """Scores [N, R] of the rendered labels: softmax over the user's classes @ render [C, R]."""
    import torch

    return (torch.softmax(features @ weight.T + bias, dim=-1) @ render).clamp(0.0, 1.0)


def apply_classes(scores, features, columns, weight, bias, render):
    """`scores` [N, L] with the label columns `columns` replaced by the class head's scores."""
    import torch

    index = torch.as_tensor(list(columns), dtype=torch.long)
    return scores.index_copy(1, index, class_scores(features, weight, bias, render))


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
                 card: dict[str, Any] | None = None, backbone=None, heads=None,
                 tail: dict[str, Any] | None = None) -> None:
        self.space = space
        self.weight, self.bias = weight.detach().float().cpu(), bias.detach().float().cpu()
        # (label columns [R], weight [C, F], bias [C], render [C, R]): the class head on the
        # user's classes and the label columns it answers
        self.heads = None
        if heads is not None:
            columns, c_weight, c_bias, render = heads
            columns = [int(c) for c in columns]
            c_weight, c_bias, render = (t.detach().float().cpu() for t in (c_weight, c_bias, render))
            if (c_weight.shape[1] != self.weight.shape[1] or c_bias.shape != (c_weight.shape[0],)
                    or render.shape != (c_weight.shape[0], len(columns))):
                raise ValueError("class head does not match its label columns")
            if any(not 0 <= c < len(space.labels) for c in columns):
                raise ValueError("class head label column outside the label space")
            self.heads = (columns, c_weight, c_bias, render)
        self.vocab_labels = list(space.labels)
        self.labels = list(output_names) if output_names is not None else list(self.vocab_labels)
        self.source = list(source) if source is not None else list(range(len(self.vocab_labels)))
        if len(self.source) != len(self.labels):
            raise ValueError("source must give one label column per output name")
        if self.weight.shape[0] != len(space.leaves):
            raise ValueError(f"classifier has {self.weight.shape[0]} outputs, the space {len(space.leaves)} leaves")
        if self.weight.shape[1] != DIM or self.bias.shape != (self.weight.shape[0],):
            raise ValueError(f"classifier reads {self.weight.shape[1]} features, the backbone gives {DIM}")
        if tail is not None and self.heads is None:
            raise ValueError("a fine-tuned last stage needs a class head to read it")
        # the fine-tuned last stage's weights (None: the class head reads the frozen features)
        self.tail = {k: v.detach().float().cpu().contiguous() for k, v in tail.items()} if tail is not None else None
        self._tail_module: Any = None
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

    def head_scores(self, feats, tuned=None):
        """Label scores [N, len(vocab_labels)] of pooled features, in torch (what is exported);
        `tuned`: the fine-tuned last stage's pooled features, which the class head reads."""
        scores = head_scores(feats, self.weight, self.bias, self.membership())
        if self.heads is not None:
            if self.tail is not None and tuned is None:
                raise ValueError(f"model {self.name} is fine-tuned: its class head reads its own stage's features")
            scores = apply_classes(scores, feats if tuned is None else tuned, *self.heads)
        return scores

    def scores_from_features(self, features, tuned=None) -> np.ndarray:
        """Label scores [N, len(vocab_labels)] from cached pooled features (torch)."""
        import torch

        with torch.inference_mode():
            tuned = None if tuned is None else torch.as_tensor(tuned).float()
            return self.head_scores(torch.as_tensor(features).float(), tuned).numpy()

    def tail_module(self):
        """The fine-tuned last stage as a torch module (built once), or None."""
        if self.tail is not None and self._tail_module is None:
            from chameleonapi.model.stage import make_tail

            self._tail_module = make_tail(self.tail)
        return self._tail_module

    @property
    def runtime(self) -> str:
        """"onnx" or "torch": what reads features and scores them when serving."""
        if self._runtime is None:
            from chameleonapi.model.graphs import runtime

            self._runtime = "torch" if self._backbone is not None or self.tail is not None else runtime()
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

    def tuned_features(self, images: Sequence):
        """(frozen pooled features, the fine-tuned stage's pooled features) of PIL images: one
        pass of the shared trunk to the last stage's input, then both last stages."""
        import torch

        from chameleonapi.model.photo_input import prepare
        from chameleonapi.model.stage import STAGE, trunk_to_stage

        model, tail = self.backbone(), self.tail_module()
        with torch.inference_mode():
            batch = torch.from_numpy(prepare(list(images), self.input_size)).to(self._device or "cpu")
            inputs = trunk_to_stage(model, batch)
            frozen = model.forward_head(model.bn2(model.conv_head(model.blocks[STAGE:](inputs))), pre_logits=True)
            return frozen.float().cpu(), tail(inputs.float().cpu().contiguous()).float()

    def predict_columns(self, images: Sequence) -> np.ndarray:
        if not images:
            return np.zeros((0, len(self.vocab_labels)), dtype=np.float32)
        if self.tail is not None:
            return self.scores_from_features(*self.tuned_features(images))
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
            "head_columns": self.heads[0] if self.heads is not None else [],
            **({"format": TUNED_FORMAT, "tuned_stage": True} if self.tail is not None else {}),
        }

    def save(self, path: Path | str, extra: dict[str, Any] | None = None) -> Path:
        from safetensors.torch import save_file

        from chameleonapi.model.files import sha256_of, write_graph

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        weights = folder / WEIGHTS
        state = {"classifier.weight": self.weight.contiguous(), "classifier.bias": self.bias.contiguous()}
        if self.heads is not None:
            for key, tensor in zip(("classes.weight", "classes.bias", "classes.render"), self.heads[1:]):
                state[key] = tensor.contiguous()
        for key, tensor in (self.tail or {}).items():
            state[TAIL + key] = tensor
        atomic_write_via(weights, lambda tmp: save_file(state, str(tmp), metadata={"kind": KIND}))
        graph = write_graph(folder, self.export_heads) if self.tail is None else {}
        if graph:
            from chameleonapi.model.backbone import ARCH

            # the heads read the shared trunk graph's pooled features
            graph["trunk_graph"] = f"{ARCH}.imagenet.features-{self.input_size}"
        card = {**self.card, **(extra or {}), **self.describe(), **graph, "sha256": sha256_of(weights)}
        self.card = card
        atomic_write_text(folder / CARD, json.dumps(card, indent=1, sort_keys=True, default=str) + "\n")
        return folder

    @classmethod
    def load(cls, path: Path | str, *, verify: bool = True) -> PhotoModel:
        """Read a saved model; CorruptModel if files are missing or a checksum differs."""
        from chameleonapi.model.files import CorruptModel

        folder = Path(path)
        try:
            card = json.loads((folder / CARD).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CorruptModel(f"{folder}: unreadable model ({exc})") from exc
        return cls.from_card(folder, card, verify)

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
            columns = card.get("head_columns") or []
            heads = (columns, state["classes.weight"], state["classes.bias"], state["classes.render"]) if columns else None
            tail = {k[len(TAIL):]: v for k, v in state.items() if k.startswith(TAIL)}
            if bool(tail) != bool(card.get("tuned_stage")):
                raise CorruptModel(f"{weights}: the fine-tuned stage's weights do not match {CARD}")
            model = cls(space, state["classifier.weight"], state["classifier.bias"], card["output_names"],
                        card["source"], name=card.get("name", "custom"), input_size=int(card.get("input_size", 224)),
                        card=card, heads=heads, tail=tail or None)
            if model.tail is not None:
                model.tail_module()  # a stage that does not fit the backbone is a corrupt model, found now
            model._graph = read_graph(folder, card, verify)
            return model
        except CorruptModel:
            raise
        except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as exc:
            raise CorruptModel(f"{folder}: unreadable model ({exc})") from exc
