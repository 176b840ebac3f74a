"""Thread-safe inference behind every provider: images in, score-ordered answers out.

An engine serializes access to one model (torch modules are not re-entrant under load), so
providers never care which model answers: the generic one or one customized to the
application. `swap` puts a customized model in place while calls keep coming.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from chameleonapi.detection.policy import REPORT_FLOOR

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from PIL.Image import Image

    from chameleonapi.detection.model import Detection
    from chameleonapi.serving.background import BackgroundCustomization

__all__ = ["DetectorEngine", "Engine", "LabelModel", "LabelScores", "ServedModel"]

LabelScores = list[tuple[str, float]]


class LabelModel(Protocol):
    """What a label engine needs from a model.

    `labels` are provider-neutral names in Google's style ("Tabby cat", "Cat");
    `predict` returns an array [len(images), len(labels)] of scores in [0, 1].
    """

    name: str
    labels: list[str]

    def predict(self, images: Sequence[Image]) -> np.ndarray: ...


class ServedModel:
    """One model behind a lock; `background` is set while a customized model is on its way."""

    background: BackgroundCustomization | None = None

    def __init__(self, model: Any, max_batch: int = 32) -> None:
        self.model = model
        self.max_batch = max_batch
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.model.name

    def swap(self, model: Any) -> None:
        """Serve `model` from the next call on (a call in progress finishes with the old one)."""
        with self._lock:
            self.model = model


class Engine(ServedModel):
    """Serializes access to one label model and turns score rows into ranked label lists."""

    model: LabelModel

    def scores(self, images: Sequence[Image]):
        """Raw score matrix [N, L] for `images` (batched, under the engine lock)."""
        return self.scored(images)[0]

    def scored(self, images: Sequence[Image]):
        """(scores, label names) of one model: both taken under the lock, so a model swapped
        in meanwhile never pairs its names with the previous model's scores."""
        import numpy as np

        rows = []
        with self._lock:
            model = self.model
            labels = self._names_of(model)
            for start in range(0, len(images), self.max_batch):
                rows.append(np.asarray(model.predict(images[start : start + self.max_batch])))
        if not rows:
            return np.zeros((0, len(labels)), dtype=np.float32), labels
        return (rows[0] if len(rows) == 1 else np.concatenate(rows, axis=0)), labels

    def _names_of(self, model) -> tuple[str, ...]:
        """The model's label names as a tuple, made once per model (they key per-list caches)."""
        names = getattr(self, "_names", None)
        if names is None or names[0] is not model or len(names[1]) != len(model.labels):
            names = self._names = (model, tuple(model.labels))
        return names[1]

    def annotate(self, images: Sequence[Image], max_results: int | None = None) -> list[LabelScores]:
        """For each image, (label, score) pairs sorted by score, at most `max_results`."""
        from chameleonapi.model.cloud_rows import ranked_row

        matrix, labels = self.scored(images)
        return [ranked_row(row, labels, max_results) for row in matrix]


class DetectorEngine(ServedModel):
    """Serializes access to one detector (`chameleonapi.detection.detector.DetectorModel`)."""

    def detect(self, images: Sequence[Image], min_score: float = REPORT_FLOOR) -> list[list[Detection]]:
        out: list[list[Detection]] = []
        with self._lock:
            for start in range(0, len(images), self.max_batch):
                out += self.model.detect(images[start : start + self.max_batch], min_score)
        return out
