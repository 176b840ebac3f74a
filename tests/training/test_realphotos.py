"""Customization on real photos from ../shared/data: a label the generic labeler never outputs
is learned from its folder and served under the application's word; labels the decision
does not concern stay the generic labeler's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.apploader import load_app
from tests.paths import SHARED
from tests.training.test_photos import PET_DOOR

FLOWERS = SHARED / "data" / "flowers" / "train"
CIFAR = SHARED / "data" / "cifar10-train"

DANDELION_APP = '''
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def is_dandelion(image_bytes):
    response = client.label_detection(image=vision.Image(content=image_bytes))
    for label in response.label_annotations:
        if label.description == "Dandelion" and label.score >= 0.5:
            return True
    return False
'''


def copy_classes(source: Path, root: Path, classes: list[str], count: int, skip: int = 0) -> Path:
    """root/<class>/: `count` photos of each class of `source`, after the first `skip`."""
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        for path in sorted((source / name).glob("*.jpg"))[skip:skip + count]:
            shutil.copy(path, root / name / path.name)
    return root


def held_out(source: Path, name: str, count: int, skip: int) -> list[Path]:
    return sorted((source / name).glob("*.jpg"))[skip:skip + count]


@pytest.fixture
def serving_env(monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "auto")
    monkeypatch.setenv("CHAMELEONAPI_BUDGET", "tiny")
    return monkeypatch


@pytest.mark.skipif(not FLOWERS.is_dir(), reason="needs the flower photos in ../shared/data (absent)")
def test_a_folder_the_generic_labeler_never_outputs_is_learned_and_served_under_the_apps_word(
        google_calls, serving_env, tmp_path):
    from chameleonapi.model.photo import PhotoModel

    assert "Dandelion" not in PhotoModel.generic(provider="google").labels  # no ImageNet class
    data = copy_classes(FLOWERS, tmp_path / "photos", ["dandelion", "daisy", "sunflowers"], count=40)
    serving_env.setenv("CHAMELEONAPI_DATA", str(data))
    app_path = tmp_path / "dandelion_app.py"
    app_path.write_text(DANDELION_APP)
    app = load_app(app_path, "dandelion_app")

    dandelions = [p.read_bytes() for p in held_out(FLOWERS, "dandelion", 8, skip=40)]
    others = [p.read_bytes() for name in ("daisy", "sunflowers") for p in held_out(FLOWERS, name, 4, skip=40)]
    said = [app.is_dandelion(photo) for photo in dandelions]
    assert google_calls[-1].model != "generic"  # the customized model answered
    assert sum(said) >= 6, said
    before = len(google_calls)
    assert sum(app.is_dandelion(photo) for photo in others) <= 2
    # Google reports no label under its floor, the app's own label included
    assert all(score >= 0.5 for call in google_calls[before:] for _, score in call.labels[0])

    # what the SDK handed the app for a dandelion: Google's label style, the app's own word
    app.is_dandelion(dandelions[0])
    served = dict(google_calls[-1].labels[0])
    assert served.get("Dandelion", 0.0) >= 0.5, served


@pytest.mark.skipif(not CIFAR.is_dir(), reason="needs the CIFAR-10 photos in ../shared/data (absent)")
def test_the_top_labels_of_photos_the_decision_does_not_concern_stay_generic(tmp_path):
    from chameleonapi.analysis import analyze
    from chameleonapi.model.photo import PhotoModel
    from chameleonapi.training.pipeline import top_agreement, train

    data = copy_classes(CIFAR, tmp_path / "photos", ["cat", "dog", "airplane", "ship"], count=60)
    app = tmp_path / "pet_door_retention.py"
    app.write_text(PET_DOOR)
    spec = analyze(str(app))[0]
    model = train(spec, str(data), budget="tiny", progress=False)
    assert model.card["validation"]["served"] == "customized"
    # held-out photos of the folders outside the decision: the labels the app does not decide
    # on keep the generic labeler's top 5, scores and order
    paths = [p for name in ("airplane", "ship") for p in held_out(CIFAR, name, 30, skip=60)]
    feats = PhotoModel.generic().features([Image.open(p).convert("RGB") for p in paths])
    assert top_agreement(model, feats) >= 0.98
    assert model.card["metrics"]["retention_top5"] >= 0.98
    decided = [model.vocab_labels[c] for c in model.heads[0]]
    assert set(decided) == {"Cat", "Dog"}  # only the app's labels are answered by the class head
