"""Object calls on real photos, with no data configured: every provider answers from the
generic COCO photo detector, in its own SDK's types, names and box convention."""

from __future__ import annotations

import io

import pytest

import chameleonapi
from chameleonapi.detection.coco import COCO_NAMES
from chameleonapi.detection.policy import REPORT_FLOOR
from chameleonapi.serving import notices
from chameleonapi.serving.calls import labels_resolver, object_resolver
from tests.photo_sets import coco_available, coco_photos, sample_photos

OFFLINE_ENDPOINT = "http://127.0.0.1:9"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def photos():
    """The skimage samples, and 20 COCO photos when ../shared/data holds them."""
    return sample_photos() + (coco_photos(20) if coco_available() else [])


@pytest.fixture
def served(monkeypatch):
    monkeypatch.delenv("CHAMELEONAPI_DATA", raising=False)
    notices._said.clear()
    object_resolver.reset()
    labels_resolver.reset()
    chameleonapi.enable()
    yield
    chameleonapi.disable()
    object_resolver.reset()
    labels_resolver.reset()


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def check(found: dict[str, list[tuple[str, tuple]]]) -> None:
    """Per photo, (name, xyxy normalized) reported: the main object is among them (all the
    skimage samples, two thirds of the COCO photos: YOLOv4-tiny misses some), and most reported COCO objects are real."""
    samples = {p.name: p for p in photos()}
    for name in ("chelsea", "astronaut", "coffee"):
        assert samples[name].main.casefold() in {n.casefold() for n, _ in found[name]}, (name, found[name])
    coco = [p for p in samples.values() if p.boxes]
    if coco:
        hits = sum(p.main.casefold() in {n.casefold() for n, _ in found[p.name]} for p in coco)
        assert hits >= 0.65 * len(coco), f"main object found in {hits}/{len(coco)} COCO photos"
        reported = [(p, n, b) for p in coco for n, b in found[p.name]]
        real = sum(any(t.casefold() == n.casefold() and iou(b, tb) >= 0.5 for t, tb in p.boxes) for p, n, b in reported)
        assert real >= 0.6 * len(reported), f"{real}/{len(reported)} reported objects match a true box"
    for boxes in found.values():
        for _, (x0, y0, x1, y1) in boxes:
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


def size_of(data: bytes) -> tuple[int, int]:
    from PIL import Image

    return Image.open(io.BytesIO(data)).size


def test_google_object_localization_answers_real_photos(served):
    from google.cloud import vision

    client = vision.ImageAnnotatorClient()
    found = {}
    for p in photos():
        response = client.object_localization(image=vision.Image(content=p.data))
        assert not response.error.message
        objects = response.localized_object_annotations
        assert all(isinstance(o, vision.LocalizedObjectAnnotation) for o in objects)
        assert all(o.name in COCO_NAMES for o in objects)  # "Person", "Cat": Google's Title case
        scores = [o.score for o in objects]
        assert scores == sorted(scores, reverse=True) and all(s >= REPORT_FLOOR - 1e-6 for s in scores)
        found[p.name] = []
        for o in objects:
            v = o.bounding_poly.normalized_vertices
            assert len(v) == 4 and (v[0].x, v[0].y) == (v[3].x, v[1].y)  # clockwise from the top left
            found[p.name].append((o.name, (v[0].x, v[0].y, v[2].x, v[2].y)))
    check(found)


def test_azure_detect_objects_answers_real_photos(served):
    from azure.cognitiveservices.vision.computervision import ComputerVisionClient
    from azure.cognitiveservices.vision.computervision.models import (
        BoundingRect,
        DetectedObject,
        DetectResult,
    )
    from msrest.authentication import CognitiveServicesCredentials

    client = ComputerVisionClient(OFFLINE_ENDPOINT, CognitiveServicesCredentials("any-key"))
    found = {}
    for p in photos():
        result = client.detect_objects_in_stream(io.BytesIO(p.data))
        assert isinstance(result, DetectResult)
        width, height = size_of(p.data)
        assert (result.metadata.width, result.metadata.height) == (width, height)
        found[p.name] = []
        for o in result.objects:
            assert isinstance(o, DetectedObject) and isinstance(o.rectangle, BoundingRect)
            assert o.object_property == o.object_property.lower()  # "person": Azure's lower case
            r = o.rectangle
            assert r.x + r.w <= width and r.y + r.h <= height
            found[p.name].append((o.object_property, (r.x / width, r.y / height, (r.x + r.w) / width,
                                                      (r.y + r.h) / height)))
            if o.object_property == "car":
                assert o.parent.object_property == "Land vehicle" and o.parent.parent.object_property == "Vehicle"
    check(found)


def test_image_analysis_objects_answer_real_photos(served):
    from azure.ai.vision.imageanalysis import ImageAnalysisClient
    from azure.ai.vision.imageanalysis.models import ImageAnalysisResult, VisualFeatures
    from azure.core.credentials import AzureKeyCredential

    client = ImageAnalysisClient(endpoint=OFFLINE_ENDPOINT, credential=AzureKeyCredential("any-key"))
    found = {}
    for p in photos():
        result = client.analyze(p.data, [VisualFeatures.OBJECTS])
        assert isinstance(result, ImageAnalysisResult) and result.tags is None
        width, height = size_of(p.data)
        found[p.name] = []
        for o in result.objects.list:
            b = o.bounding_box
            assert o.tags[0].confidence >= REPORT_FLOOR - 1e-3
            found[p.name].append((o.tags[0].name, (b.x / width, b.y / height, (b.x + b.width) / width,
                                                   (b.y + b.height) / height)))
    check(found)


# An application whose decision names object classes: Rekognition reports their `Instances`.
COUNTING_APP = """
def crowd(client, data):
    response = client.detect_labels(Image={"Bytes": data}, MaxLabels=50, MinConfidence=50)
    people = [label for label in response["Labels"] if label["Name"] in ("Person", "Cat", "Cup")]
    return response, len(people) > 0
"""

# One whose decision names none: the detector is not run, `Instances` stay empty.
GARDEN_APP = """
def garden(client, data):
    response = client.detect_labels(Image={"Bytes": data}, MaxLabels=50, MinConfidence=50)
    flowers = [label for label in response["Labels"] if label["Name"] in ("Flower", "Tree")]
    return response, len(flowers) > 0
"""


def _rekognition(monkeypatch):
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "any")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "any")
    return boto3.client("rekognition", region_name="us-east-1", endpoint_url=OFFLINE_ENDPOINT)


def test_rekognition_labels_carry_instances_with_bounding_boxes(served, monkeypatch, tmp_path):
    from tests.apploader import load_app

    (tmp_path / "crowd_app.py").write_text(COUNTING_APP)
    app = load_app(tmp_path / "crowd_app.py", "crowd_app")
    client = _rekognition(monkeypatch)
    found = {}
    for p in photos():
        response, _ = app.crowd(client, p.data)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
        found[p.name] = []
        for label in response["Labels"]:
            assert set(label) >= {"Name", "Confidence", "Instances", "Parents"}
            for inst in label["Instances"]:
                box = inst["BoundingBox"]
                assert set(box) == {"Width", "Height", "Left", "Top"}
                assert 0 <= inst["Confidence"] <= 100 and inst["Confidence"] <= label["Confidence"] + 1e-6
                found[p.name].append((label["Name"], (box["Left"], box["Top"], box["Left"] + box["Width"],
                                                      box["Top"] + box["Height"])))
    check(found)
    response, someone = app.crowd(client, sample_photos()[1].data)
    person = next(label for label in response["Labels"] if label["Name"] == "Person")
    assert someone and person["Instances"]  # the astronaut is a Person with a box, as Rekognition reports people


def test_rekognition_runs_the_detector_only_for_decisions_that_name_objects(served, monkeypatch, tmp_path):
    from tests.apploader import load_app

    (tmp_path / "garden_app.py").write_text(GARDEN_APP)
    app = load_app(tmp_path / "garden_app.py", "garden_app")
    client = _rekognition(monkeypatch)
    calls = []
    real = object_resolver.engine_for
    monkeypatch.setattr(object_resolver, "engine_for", lambda *a, **k: calls.append(a) or real(*a, **k))
    chelsea = next(p for p in sample_photos() if p.name == "chelsea")
    response, _ = app.garden(client, chelsea.data)
    assert "Cat" in [label["Name"] for label in response["Labels"]]  # labels are answered
    assert all(label["Instances"] == [] for label in response["Labels"])
    assert calls == []  # the detector never ran for this application
