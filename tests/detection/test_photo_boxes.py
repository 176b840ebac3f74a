"""A user's boxes in YOLO, Pascal VOC and Open Images layouts, and the photo detector
customized on them to a count decision behind the serving gate."""

from __future__ import annotations

import csv
import logging
import shutil
import textwrap

import pytest

from chameleonapi.detection.boxes import class_of, is_box_data, load_boxes, split
from tests.photo_sets import COCO128, coco_available

pytestmark = pytest.mark.skipif(not coco_available(), reason="needs ../shared/data/coco128-train (absent)")
STEMS = ["000000000009", "000000000025", "000000000036", "000000000049", "000000000061", "000000000064",
         "000000000071", "000000000073", "000000000074", "000000000077", "000000000078", "000000000081"]


@pytest.fixture
def yolo(tmp_path):
    root = tmp_path / "yolo"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    shutil.copy(COCO128 / "classes.yaml", root / "classes.yaml")
    for stem in STEMS:
        shutil.copy(COCO128 / "images" / f"{stem}.jpg", root / "images")
        if (COCO128 / "labels" / f"{stem}.txt").is_file():
            shutil.copy(COCO128 / "labels" / f"{stem}.txt", root / "labels")
    return root


def test_class_names_map_to_the_detector(yolo):
    assert class_of("person") == class_of("Person") == class_of("people") == class_of("/m/01g317") == 0
    assert class_of("motorbike") == 3 and class_of("tvmonitor") == class_of("tv") and class_of("unicorn") == -1
    photos = load_boxes(yolo)
    assert is_box_data(yolo) and len(photos) == len(STEMS)
    giraffes = next(p for p in photos if p.path.stem == "000000000025")
    assert {name for _, name, _ in giraffes.boxes} == {"giraffe"} and giraffes.count({23}) == len(giraffes.boxes)
    train, held_out = split(photos)
    assert train and held_out and not {p.path for p in train} & {p.path for p in held_out}


def test_voc_and_open_images_layouts_give_the_same_boxes(yolo, tmp_path):
    from PIL import Image

    photos = load_boxes(yolo)
    voc, oi = tmp_path / "voc", tmp_path / "oi"
    (voc / "Annotations").mkdir(parents=True)
    (voc / "JPEGImages").mkdir()
    (oi / "images").mkdir(parents=True)
    rows = []
    for p in photos:
        shutil.copy(p.path, voc / "JPEGImages")
        shutil.copy(p.path, oi / "images")
        w, h = Image.open(p.path).size
        objects = "".join(
            f"<object><name>{name}</name><bndbox><xmin>{x0 * w}</xmin><ymin>{y0 * h}</ymin><xmax>{x1 * w}</xmax>"
            f"<ymax>{y1 * h}</ymax></bndbox></object>" for _, name, (x0, y0, x1, y1) in p.boxes)
        (voc / "Annotations" / f"{p.path.stem}.xml").write_text(
            f"<annotation><filename>{p.path.name}</filename><size><width>{w}</width><height>{h}</height></size>"
            f"{objects}</annotation>")
        rows += [[p.path.stem, "xclick", name, "1", x0, x1, y0, y1] for _, name, (x0, y0, x1, y1) in p.boxes]
    with open(oi / "boxes.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ImageID", "Source", "LabelName", "Confidence", "XMin", "XMax", "YMin", "YMax"])
        writer.writerows(rows)

    def summary(items):
        return {p.path.stem: sorted((c, tuple(round(v, 3) for v in b)) for c, _, b in p.boxes) for p in items}

    assert is_box_data(voc) and is_box_data(oi) and not is_box_data(tmp_path)
    assert summary(load_boxes(voc)) == summary(photos) == summary(load_boxes(oi))


COUNTING_APP = """
    from google.cloud import vision

    client = vision.ImageAnnotatorClient()


    def crowded(image_bytes):
        objects = client.object_localization(image=vision.Image(content=image_bytes)).localized_object_annotations
        people = sum(1 for o in objects if o.name == "Person")
        return people >= 2
    """


def test_a_count_decision_is_customized_on_the_users_boxes_behind_the_gate(yolo, tmp_path, monkeypatch, caplog):
    import chameleonapi
    from chameleonapi.detection.photo_heads import PHOTO_DETECTORS
    from chameleonapi.serving import notices
    from chameleonapi.serving.calls import object_resolver
    from chameleonapi.serving.notices import add_listener, remove_listener
    from tests.apploader import load_app

    monkeypatch.setenv("CHAMELEONAPI_DATA", str(yolo))
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "auto")
    monkeypatch.setenv("CHAMELEONAPI_DETECTOR_BUDGET", "tiny")
    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path / "home"))
    app_path = tmp_path / "crowd_gate.py"
    app_path.write_text(textwrap.dedent(COUNTING_APP))
    notices._said.clear()
    object_resolver.reset()
    chameleonapi.enable(["google"])
    calls: list = []
    add_listener(calls.append)
    try:
        app = load_app(app_path, "crowd_gate")
        with caplog.at_level(logging.INFO, logger="chameleonapi"):
            first = app.crowded((yolo / "images" / f"{STEMS[3]}.jpg").read_bytes())
            again = app.crowded((yolo / "images" / f"{STEMS[3]}.jpg").read_bytes())
    finally:
        remove_listener(calls.append)
        chameleonapi.disable()
        object_resolver.reset()
    assert first == again and isinstance(first, bool)
    entries = [p for p in PHOTO_DETECTORS.root().iterdir() if p.is_dir()]
    assert len(entries) == 1 and (entries[0] / "SHA256SUMS").is_file()
    card = (entries[0] / "card.json").read_text()
    assert '"listed": [\n  "Person"\n ]' in card and '"count_op": ">="' in card
    served = calls[-1].model
    if '"served": "generic"' in card:
        assert served == "generic-photo-detector"
        assert sum("not better than the generic one" in r.getMessage() for r in caplog.records) >= 1
    else:
        assert served == "chameleon-photo-detector[Person]"
