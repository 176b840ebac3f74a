"""A user's photos with object boxes, in the three common layouts, named as the detector names.

- YOLO: `images/*.jpg` and `labels/<stem>.txt` (`class x_center y_center width height`,
  normalized), the class names in `classes.yaml` / `data.yaml` (`names:`), `classes.txt`,
  `obj.names` or `*.names` (one a line);
- Pascal VOC: `Annotations/*.xml` (`<object><name>`, `<bndbox>` in pixels) with the photos in
  `JPEGImages/` (or beside the xml files);
- Open Images: a box CSV (`ImageID,…,LabelName,…,XMin,XMax,YMin,YMax`, normalized; labels as
  MIDs or names) in the folder, the photos in `images/` (or beside it) named `<ImageID>.jpg`.

Class names map to the photo detector's classes by name, COCO's own name, an everyday name
("people", "motorbike") or the Open Images MID; boxes of other classes are kept under their
own name (they count as objects of no detector class). A photo with no label file has no
objects. The split into training and held-out photos is by a stable hash of the file name.
"""

from __future__ import annotations

import csv
import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from chameleonapi.detection.coco import COCO_ALIASES, COCO_NAMES

__all__ = ["BoxPhoto", "class_of", "is_box_data", "load_boxes", "split"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


@dataclass(frozen=True)
class BoxPhoto:
    """A photo and its boxes: (detector class index or -1, name, (x0, y0, x1, y1) normalized)."""

    path: Path
    boxes: tuple[tuple[int, str, tuple[float, float, float, float]], ...]

    def count(self, classes: set[int]) -> int:
        return sum(1 for c, _, _ in self.boxes if c in classes)


def class_of(name: str) -> int:
    """The detector class a name means (-1: none)."""
    from chameleonapi.model.cloud_vocab import mid_of

    key = " ".join(name.replace("_", " ").split()).casefold()
    names = {n.casefold(): i for i, n in enumerate(COCO_NAMES)}
    if key in names:
        return names[key]
    alias = COCO_ALIASES.get(key)
    if alias is not None:
        return COCO_NAMES.index(alias)
    if name.startswith("/m/"):
        mids = {mid_of(n): i for i, n in enumerate(COCO_NAMES) if mid_of(n)}
        return mids.get(name, -1)
    return -1


def _box(name: str, xyxy: tuple[float, float, float, float]) -> tuple[int, str, tuple[float, float, float, float]]:
    x0, y0, x1, y1 = (min(max(v, 0.0), 1.0) for v in xyxy)
    return class_of(name), name, (x0, y0, x1, y1)


def _yolo_names(root: Path) -> list[str] | None:
    for candidate in ("classes.yaml", "data.yaml", "dataset.yaml"):
        path = root / candidate
        if path.is_file():
            return _yaml_names(path.read_text(encoding="utf-8"))
    for listing in [root / "classes.txt", root / "obj.names", *sorted(root.glob("*.names"))]:
        if listing.is_file():
            return [line.strip() for line in listing.read_text(encoding="utf-8").splitlines() if line.strip()]
    return None


def _yaml_names(text: str) -> list[str]:
    """`names:` of a YOLO yaml, as a block (`  0: person`) or a flow list (`[person, car]`)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("names:"):
            rest = line.split(":", 1)[1].strip()
            if rest.startswith("["):
                return [n.strip().strip("'\"") for n in rest.strip("[]").split(",") if n.strip()]
            out: dict[int, str] = {}
            for item in lines[i + 1:]:
                if not item.startswith((" ", "\t", "-")) or not item.strip():
                    if item.strip():
                        break
                    continue
                body = item.strip().lstrip("-").strip()
                if ":" in body:
                    k, v = body.split(":", 1)
                    out[int(k.strip())] = v.strip().strip("'\"")
                else:
                    out[len(out)] = body.strip("'\"")
            return [out[k] for k in sorted(out)]
    return []


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []


def _load_yolo(root: Path, names: list[str]) -> list[BoxPhoto]:
    out = []
    for image in _images(root / "images"):
        label = root / "labels" / f"{image.stem}.txt"
        boxes = []
        for line in (label.read_text(encoding="utf-8").splitlines() if label.is_file() else []):
            parts = line.split()
            if len(parts) < 5:
                continue
            c = int(parts[0])
            x, y, w, h = (float(v) for v in parts[1:5])
            boxes.append(_box(names[c] if c < len(names) else str(c), (x - w / 2, y - h / 2, x + w / 2, y + h / 2)))
        out.append(BoxPhoto(image, tuple(boxes)))
    return out


def _load_voc(root: Path) -> list[BoxPhoto]:
    out = []
    for xml in sorted((root / "Annotations").glob("*.xml")):
        tree = ET.parse(xml).getroot()
        filename = tree.findtext("filename") or f"{xml.stem}.jpg"
        image = next((p for p in (root / "JPEGImages" / filename, xml.parent / filename) if p.is_file()), None)
        if image is None:
            continue
        width = float(tree.findtext("size/width") or 0)
        height = float(tree.findtext("size/height") or 0)
        if not width or not height:
            from PIL import Image

            with Image.open(image) as opened:
                width, height = opened.size
        boxes = []
        for obj in tree.iter("object"):
            box = obj.find("bndbox")
            if box is None:
                continue
            x0, y0, x1, y1 = (float(box.findtext(k) or 0) for k in ("xmin", "ymin", "xmax", "ymax"))
            boxes.append(_box(obj.findtext("name") or "", (x0 / width, y0 / height, x1 / width, y1 / height)))
        out.append(BoxPhoto(image, tuple(boxes)))
    return out


def _box_csv(root: Path) -> Path | None:
    for path in sorted(root.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
        if {"ImageID", "LabelName", "XMin", "XMax", "YMin", "YMax"} <= set(header):
            return path
    return None


def _load_openimages(root: Path, table: Path) -> list[BoxPhoto]:
    folder = root / "images" if (root / "images").is_dir() else root
    photos = {p.stem: p for p in _images(folder)}
    boxes: dict[str, list] = {stem: [] for stem in photos}
    with open(table, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["ImageID"] in boxes:
                boxes[row["ImageID"]].append(_box(row["LabelName"], (float(row["XMin"]), float(row["YMin"]),
                                                                     float(row["XMax"]), float(row["YMax"]))))
    return [BoxPhoto(photos[stem], tuple(b)) for stem, b in sorted(boxes.items())]


def is_box_data(path: str | Path | None) -> bool:
    """Does the folder hold photos with boxes in one of the layouts above?"""
    if not path or str(path) == "builtin":
        return False
    root = Path(path)
    if not root.is_dir():
        return False
    return ((root / "labels").is_dir() and (root / "images").is_dir()) or (root / "Annotations").is_dir() \
        or _box_csv(root) is not None


def load_boxes(path: str | Path) -> list[BoxPhoto]:
    """Every photo of the folder with its boxes (ValueError when the layout is not recognized)."""
    root = Path(path)
    if (root / "labels").is_dir() and (root / "images").is_dir():
        names = _yolo_names(root)
        if names is None:
            raise ValueError(f"{root}: YOLO boxes need a class-names file (classes.yaml, classes.txt or obj.names)")
        return _load_yolo(root, names)
    if (root / "Annotations").is_dir():
        return _load_voc(root)
    table = _box_csv(root)
    if table is not None:
        return _load_openimages(root, table)
    raise ValueError(f"{root}: no photos with boxes (YOLO images/ + labels/, Pascal VOC Annotations/, "
                     "or an Open Images box CSV)")


def split(photos: list[BoxPhoto], held_out: float = 0.35) -> tuple[list[BoxPhoto], list[BoxPhoto]]:
    """(training, held-out) photos, by a stable hash of each file name."""
    def bucket(p: BoxPhoto) -> float:
        return int(hashlib.sha256(p.path.name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF

    train = [p for p in photos if bucket(p) >= held_out]
    test = [p for p in photos if bucket(p) < held_out]
    return train, test
