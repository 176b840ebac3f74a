"""Detected objects in Azure's REST shapes (Computer Vision v3.2 and Image Analysis 4.0).

Boxes are integer pixels of the image the application sent; names are Azure's lower case.
Computer Vision also reports each object's taxonomy parent, as the service does
("dog" -> "mammal" -> "animal"). The provider modules deserialize these into the SDK's own
models; a missing generic detector becomes the service-side error they know how to raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PROVIDER = "azure"
BIRDS = {"bird"}


def _detect(images: Sequence[Any], method: str) -> list[list]:
    from chameleonapi import runtime
    from chameleonapi.detection.service import DetectorUnavailable
    from chameleonapi.providers.azure import ServiceError

    try:
        return runtime.serve_objects([i.image for i in images], provider=PROVIDER, method=method)
    except DetectorUnavailable as exc:
        raise ServiceError(503, "ServiceUnavailable", "ModelNotReady", f"Object detection: {exc}") from None


def _rect(box: Sequence[float], width: int, height: int) -> dict[str, int]:
    x0, y0 = int(round(box[0] * width)), int(round(box[1] * height))
    x1, y1 = int(round(box[2] * width)), int(round(box[3] * height))
    return {"x": x0, "y": y0, "w": max(1, x1 - x0), "h": max(1, y1 - y0)}


def _parent(name: str, confidence: float) -> dict:
    animal = {"object": "animal", "confidence": round(confidence, 3)}
    return animal if name in BIRDS else {"object": "mammal", "confidence": round(confidence, 3), "parent": animal}


def computer_vision_objects(image: Any, method: str) -> list[dict]:
    """`DetectResult.objects` / `ImageAnalysis.objects` as REST JSON."""
    out = []
    for det in _detect([image], method)[0]:
        name = det.name.lower()
        out.append(
            {
                "rectangle": _rect(det.box, image.width, image.height),
                "object": name,
                "confidence": round(det.score, 3),
                "parent": _parent(name, det.score),
            }
        )
    return out


def image_analysis_objects(image: Any, method: str) -> dict:
    """`ImageAnalysisResult.objects` (`objectsResult`) as REST JSON."""
    values = []
    for det in _detect([image], method)[0]:
        values.append(
            {
                "boundingBox": _rect(det.box, image.width, image.height),
                "tags": [{"name": det.name.lower(), "confidence": round(det.score, 3)}],
            }
        )
    return {"values": values}
