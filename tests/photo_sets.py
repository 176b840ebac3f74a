"""Real photos with known objects, for detector tests: scikit-image samples, and COCO photos
with their boxes from ../shared/data/coco128-train when it is there."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.images import photo
from tests.paths import SHARED

__all__ = ["COCO128", "KnownPhoto", "coco_photos", "sample_photos"]

COCO128 = SHARED / "data" / "coco128-train"


@dataclass(frozen=True)
class KnownPhoto:
    """A photo, the class of its main object (detector name) and its boxes (class, xyxy normalized)."""

    name: str
    data: bytes
    main: str
    boxes: tuple[tuple[str, tuple[float, float, float, float]], ...] = ()


def sample_photos() -> list[KnownPhoto]:
    """scikit-image photos whose main object a COCO detector knows."""
    return [KnownPhoto("chelsea", photo("chelsea"), "Cat"), KnownPhoto("astronaut", photo("astronaut"), "Person"),
            KnownPhoto("coffee", photo("coffee"), "Cup")]


@cache
def coco_photos(count: int = 20, skip: int = 0) -> list[KnownPhoto]:
    """COCO photos whose largest box covers at least 10% of the image, with every box."""
    from chameleonapi.detection.coco import COCO_NAMES

    out: list[KnownPhoto] = []
    for path in sorted((COCO128 / "images").glob("*.jpg")):
        boxes = []
        labels = COCO128 / "labels" / f"{path.stem}.txt"
        for line in (labels.read_text().splitlines() if labels.is_file() else []):
            if line.strip():
                c, x, y, w, h = line.split()
                x, y, w, h = (float(v) for v in (x, y, w, h))
                boxes.append((COCO_NAMES[int(c)], (x - w / 2, y - h / 2, x + w / 2, y + h / 2), w * h))
        if not boxes or max(b[2] for b in boxes) < 0.1:
            continue
        main = max(boxes, key=lambda b: b[2])[0]
        out.append(KnownPhoto(path.stem, path.read_bytes(), main, tuple((n, b) for n, b, _ in boxes)))
    return out[skip:skip + count]


def coco_available() -> bool:
    return Path(COCO128 / "images").is_dir()
