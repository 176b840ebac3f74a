"""A detector ready to serve: the one frozen trunk of the process and a trained head."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chameleonapi.detection.policy import MAX_OBJECTS, REPORT_FLOOR
from chameleonapi.detection.scenes import SCENE_SIZE

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

    from chameleonapi.detection.model import Detection

__all__ = ["DetectorModel", "shared_trunk"]

_trunk_lock = threading.Lock()
_trunk: list[Any] = []


def shared_trunk():
    """One frozen ImageNet trunk per process, shared by every detector head."""
    with _trunk_lock:
        if not _trunk:
            from chameleonapi.detection.model import Trunk

            _trunk.append(Trunk())
        return _trunk[0]


@dataclass
class DetectorModel:
    """The shared frozen trunk and one trained head."""

    name: str
    head: Any

    def detect(self, images: Sequence[Image], min_score: float = REPORT_FLOOR) -> list[list[Detection]]:
        import torch

        from chameleonapi.detection.model import decode
        from chameleonapi.model.backbone import configure_threads
        from chameleonapi.model.transforms import to_input

        configure_threads()
        x = torch.from_numpy(to_input(list(images), SCENE_SIZE))
        with torch.inference_mode():
            c3, c4 = shared_trunk()(x)
            cls, box = self.head(c3, c4)
        return decode(cls, box, min_score=min_score, max_detections=MAX_OBJECTS)
