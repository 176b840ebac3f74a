"""Labels on photos as a cloud labeling API gives them: everyday names, specific first, MIDs."""

from __future__ import annotations

import pytest
from google.cloud import vision

import chameleonapi
from chameleonapi.model.cloud_vocab import DOMINANT, is_shown, mid_of, present
from chameleonapi.serving import notices
from chameleonapi.serving.calls import labels_resolver, object_resolver
from tests.images import photo

# WordNet internals no labeling API reports
ABSTRACT = {"Organism", "Chordate", "Placental", "Instrumentality", "Artifact", "Whole", "Entity", "Object",
            "Physical entity", "Living thing", "Device", "Covering", "Conveyance", "Commodity", "Consumer goods"}


@pytest.fixture
def google(monkeypatch):
    monkeypatch.delenv("CHAMELEONAPI_DATA", raising=False)
    notices._said.clear()
    labels_resolver.reset()
    object_resolver.reset()
    chameleonapi.enable(["google"])
    yield vision.ImageAnnotatorClient()
    chameleonapi.disable()
    labels_resolver.reset()
    object_resolver.reset()


def test_a_cat_is_a_cat_first_then_broader_labels(google):
    response = google.label_detection(image=vision.Image(content=photo("chelsea")), max_results=10)
    names = [label.description for label in response.label_annotations]
    scores = [label.score for label in response.label_annotations]
    assert names[0] == "Cat" and names.index("Cat") < names.index("Mammal") < names.index("Animal")
    assert not ABSTRACT & set(names)
    assert scores == sorted(scores, reverse=True)
    cat = response.label_annotations[0]
    assert cat.mid == "/m/01yrx" and cat.topicality == cat.score


def test_internals_are_hidden_but_a_decision_label_keeps_the_model_score():
    import io

    from PIL import Image

    from chameleonapi.model.generic import GenericLabeler
    from chameleonapi.serving.engines import Engine
    from tests.images import photo as raw

    engine = Engine(GenericLabeler())
    ranked = engine.annotate([Image.open(io.BytesIO(raw("chelsea")))])[0]
    model = dict(ranked)
    assert ranked[0][0] == "Organism"  # the label space's own order: the broadest label first
    shown = present(ranked)
    assert "Organism" not in dict(shown) and not any(label in ABSTRACT for label, _ in shown)
    # above the model's own score only at the score of a broader label it holds most of (Cat at Feline's)
    assert all(score <= model[label] + 1e-9 or (model[label] >= DOMINANT * score and score in model.values())
               for label, score in shown)
    kept = dict(present(ranked, keep={"Organism", "Mammal"}))
    assert kept["Organism"] == model["Organism"] and kept["Mammal"] == model["Mammal"]


def test_the_label_that_holds_most_of_a_sure_label_comes_first_at_its_score():
    # "Clock" holds 78% of "Measuring instrument", "Wall clock" 63%: the most specific first, each broader
    # one just below; at the score of the broadest, so Google's 0.5 floor keeps them
    ranked = [("Measuring instrument", 0.59), ("Clock", 0.46), ("Wall clock", 0.37), ("Timer", 0.05)]
    assert present(ranked, floor=0.5) == [("Wall clock", 0.59), ("Clock", 0.58), ("Measuring instrument", 0.57)]
    # a customized model's decision label ("fixed") keeps its own score; a generic one's is lifted, never capped
    assert dict(present(ranked, keep={"Clock"}))["Clock"] == 0.46
    assert present(ranked, keep={"Clock"}, fixed=(), floor=0.5)[:2] == [("Clock", 0.59), ("Wall clock", 0.59)]
    # a label holding less than most of its parent, or a parent the model is not sure of, stays where it was
    assert present([("Vehicle", 0.83), ("Car", 0.36)]) == [("Vehicle", 0.83), ("Car", 0.36)]
    assert present([("Measuring instrument", 0.45), ("Clock", 0.4)]) == [("Measuring instrument", 0.45), ("Clock", 0.4)]


def test_vocabulary_names_and_mids():
    assert mid_of("Person") == "/m/01g317" and mid_of("cat") == "/m/01yrx" and mid_of("Chordate") == ""
    assert is_shown("Cat") and is_shown("Tabby cat") and is_shown("My own label")
    assert not is_shown("Placental") and not is_shown("Instrumentality")


def test_rekognition_parents_are_everyday_labels(monkeypatch):
    import boto3

    monkeypatch.delenv("CHAMELEONAPI_DATA", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "any")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "any")
    labels_resolver.reset()
    chameleonapi.enable(["aws"])
    try:
        client = boto3.client("rekognition", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
        labels = client.detect_labels(Image={"Bytes": photo("chelsea")}, MaxLabels=5)["Labels"]
    finally:
        chameleonapi.disable()
        labels_resolver.reset()
    assert labels[0]["Name"] == "Cat"
    parents = {p["Name"] for p in labels[0]["Parents"]}
    assert {"Mammal", "Animal"} <= parents and not ABSTRACT & parents


def test_merged_objects_add_missing_classes_and_leave_decision_labels_alone():
    from chameleonapi.detection.model import Detection
    from chameleonapi.model.cloud_vocab import merge_objects, with_aliases

    ranked = [("Animal", 0.9), ("Person", 0.01), ("Dog", 0.4), ("Car", 0.2)]
    objects = [Detection(0, "Person", 0.8, (0, 0, 1, 1)), Detection(16, "Dog", 0.95, (0, 0, 1, 1)),
               Detection(2, "Car", 0.7, (0, 0, 1, 1)), Detection(53, "Pizza", 0.6, (0, 0, 1, 1))]
    # every detected class joins at the higher score: Person (no ImageNet class), Pizza (no label), and the
    # Dog and Car the labeler was unsure of
    merged = merge_objects(ranked, objects)
    assert dict(merged) == {"Animal": 0.9, "Person": 0.8, "Dog": 0.95, "Car": 0.7, "Pizza": 0.6}
    assert [label for label, _ in merged] == ["Dog", "Animal", "Person", "Car", "Pizza"]
    kept = dict(merge_objects(ranked, objects, keep={"Person", "Dog"}))  # a customized model's decision labels
    assert kept["Person"] == 0.01 and kept["Dog"] == 0.4
    shown = with_aliases([("Car", 0.7)], {"Car": 0.7}, ["automobile", "Car"], lambda t: "Car")
    assert shown == [("Car", 0.7), ("automobile", 0.7)]


def test_a_group_name_of_open_images_is_reported_with_its_best_member():
    from chameleonapi.detection.coco import COCO_ALIASES, COCO_NAMES
    from chameleonapi.model.cloud_vocab import alias_target, with_aliases

    group = alias_target("Land vehicle", COCO_NAMES, COCO_ALIASES)  # Google's parent of car, bus, bicycle, ...
    assert {"Car", "Bus", "Bicycle", "Truck"} <= set(group) and "Airplane" not in group
    assert alias_target("Marine mammals") == alias_target("marine mammal")  # case and plural, as for any name
    assert alias_target("Tableware") == "Tableware" and alias_target("no such group") is None  # a label is not a group
    shown = with_aliases([("Bus", 0.8), ("Car", 0.3)], {"Bus": 0.8, "Car": 0.3}, ["Land vehicle"],
                         {"Land vehicle": group}.get)
    assert shown == [("Bus", 0.8), ("Land vehicle", 0.8), ("Car", 0.3)]
