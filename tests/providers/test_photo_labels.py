"""Labels on real photos, as each provider's unchanged app reads them: the top 3 are everyday
labels, the photo's own content among them; the objects the app looks for come from the
photo detector ("Person" has no ImageNet class)."""

from __future__ import annotations

import textwrap

import pytest

import chameleonapi
from chameleonapi.model.cloud_vocab import is_shown
from chameleonapi.serving import notices
from chameleonapi.serving.calls import labels_resolver, object_resolver
from tests.apploader import load_app
from tests.photo_sets import coco_available, coco_photos, sample_photos

ABSTRACT = {"Organism", "Chordate", "Placental", "Instrumentality", "Artifact", "Whole", "Entity", "Object",
            "Physical entity", "Living thing", "Device", "Covering", "Conveyance", "Commodity", "Consumer goods"}
WATCHED = ["Person", "Cat", "Dog", "Car", "Bus", "Train", "Truck", "Bicycle", "Motorcycle", "Airplane", "Boat",
           "Bird", "Horse", "Sheep", "Cattle", "Elephant", "Bear", "Zebra", "Giraffe", "Pizza", "Cup", "Bowl",
           "Cake", "Couch", "Bed", "Table", "Chair", "Vase", "Oven", "Teddy bear", "Houseplant", "Umbrella"]
EXTRA = {"coffee": {"Coffee", "Espresso"}}  # what else a labeling API would rightly put first

APPS = {
    "google": """
        from google.cloud import vision
        WATCHED = {watched}
        client = vision.ImageAnnotatorClient()

        def seen(data):
            labels = client.label_detection(image=vision.Image(content=data)).label_annotations
            seen.last = [label.description for label in labels]
            return [label.description for label in labels if label.description in WATCHED]
        """,
    "azure_cv": """
        import io
        from azure.cognitiveservices.vision.computervision import ComputerVisionClient
        from msrest.authentication import CognitiveServicesCredentials
        WATCHED = {watched_lower}
        client = ComputerVisionClient("http://127.0.0.1:9", CognitiveServicesCredentials("any-key"))

        def seen(data):
            tags = client.tag_image_in_stream(io.BytesIO(data)).tags
            seen.last = [tag.name for tag in tags]
            return [tag.name for tag in tags if tag.name in WATCHED]
        """,
    "azure_ia": """
        from azure.ai.vision.imageanalysis import ImageAnalysisClient
        from azure.ai.vision.imageanalysis.models import VisualFeatures
        from azure.core.credentials import AzureKeyCredential
        WATCHED = {watched_lower}
        client = ImageAnalysisClient(endpoint="http://127.0.0.1:9", credential=AzureKeyCredential("any-key"))

        def seen(data):
            tags = client.analyze(data, [VisualFeatures.TAGS]).tags.list
            seen.last = [tag.name for tag in tags]
            return [tag.name for tag in tags if tag.name in WATCHED]
        """,
    "aws": """
        import boto3
        WATCHED = {watched_title}
        client = boto3.client("rekognition", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                              aws_access_key_id="any", aws_secret_access_key="any")

        def seen(data):
            labels = client.detect_labels(Image={{"Bytes": data}}, MaxLabels=20)["Labels"]
            seen.last = [label["Name"] for label in labels]
            return [label["Name"] for label in labels if label["Name"] in WATCHED]
        """,
}


@pytest.fixture
def photo_env(monkeypatch):
    monkeypatch.delenv("CHAMELEONAPI_DATA", raising=False)
    notices._said.clear()
    labels_resolver.reset()
    object_resolver.reset()
    chameleonapi.enable()
    yield
    chameleonapi.disable()
    labels_resolver.reset()
    object_resolver.reset()


@pytest.mark.parametrize("provider", sorted(APPS))
def test_top_three_are_everyday_labels_with_the_photos_content(provider, photo_env, tmp_path):
    photos = sample_photos() + (coco_photos(20) if coco_available() else [])
    source = textwrap.dedent(APPS[provider]).format(
        watched=WATCHED, watched_lower=[w.lower() for w in WATCHED],
        watched_title=[w.title() for w in WATCHED])
    path = tmp_path / f"watch_{provider}.py"
    path.write_text(source)
    app = load_app(path, f"watch_{provider}")
    hits = []
    for p in photos:
        app.seen(p.data)
        top3 = [name.casefold() for name in app.seen.last[:3]]
        # (Google may answer nothing: it reports no label under 0.5)
        assert (top3 or provider == "google") and not {n.casefold() for n in ABSTRACT} & set(top3), (p.name, top3)
        assert all(is_shown(name) or is_shown(name.capitalize()) for name in app.seen.last[:3])
        expected = {p.main, *(n for n, _ in p.boxes), *EXTRA.get(p.name, ())}
        hits.append(bool({e.casefold() for e in expected} & set(top3)))
    named = dict(zip([p.name for p in photos], hits))
    assert named["chelsea"] and named["astronaut"] and named["coffee"]  # Cat; Person, from the detector; Coffee
    # the labeler and YOLOv4-tiny miss some COCO scenes (a bed seen from its foot)
    missed = [name for name, hit in named.items() if not hit]
    if coco_available():
        assert sum(hits) >= 20 and sum(hits) >= 0.9 * len(hits), (
            f"the photo's content is in the top 3 of {sum(hits)}/{len(hits)} photos; not in: {missed}")
    else:
        assert not missed, missed
