"""Customizing the real labeler on photos: names, coverage, the never-worse gate, no silent swap."""

from __future__ import annotations

import io
import logging
from importlib import resources
from pathlib import Path

import pytest
from google.cloud import vision
from PIL import Image, ImageOps

from chameleonapi import store
from chameleonapi.model.labelspace import LabelSpace, resolve_name
from tests.apploader import load_app
from tests.paths import SHARED

PET_DOOR = resources.files("chameleonapi.examples").joinpath("pet_door.py").read_text()
PHOTOS = Path(str(resources.files("chameleonapi.examples").joinpath("images")))
CIFAR = SHARED / "data" / "cifar10-train"


def photo_folder(root: Path, classes: dict[str, str], count: int = 24) -> Path:
    """root/<label>/*.jpg: crops and mirror images of the bundled photos."""
    for label, stem in classes.items():
        source = Image.open(PHOTOS / f"{stem}.jpg").convert("RGB")
        folder = root / label
        folder.mkdir(parents=True, exist_ok=True)
        w, h = source.size
        for i in range(count):
            f = 0.6 + 0.4 * ((i * 7) % 10) / 10
            x, y = int((w - w * f) * ((i * 3) % 5) / 4), int((h - h * f) * ((i * 5) % 3) / 2)
            crop = source.crop((x, y, x + int(w * f), y + int(h * f))).resize((96, 72))
            (ImageOps.mirror(crop) if i % 2 else crop).save(folder / f"{i:03d}.jpg")
    return root


def jpeg(stem: str) -> bytes:
    return (PHOTOS / f"{stem}.jpg").read_bytes()



@pytest.fixture
def serving_env(monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "auto")
    monkeypatch.setenv("CHAMELEONAPI_BUDGET", "tiny")
    monkeypatch.delenv("CHAMELEONAPI_DATA", raising=False)
    return monkeypatch


@pytest.fixture
def served(google_calls):
    return google_calls


def test_names_resolve_through_wordnet():
    assert resolve_name("automobile").label == "Car"
    assert resolve_name("Kittens").label == "Cat"
    assert resolve_name("airplane").label == "Airplane"
    deer = resolve_name("deer")
    assert deer.new and deer.label == "Deer" and "Ruminant" in deer.ancestors and "Mammal" in deer.ancestors
    unknown = resolve_name("zorgblat")
    assert unknown.new and not unknown.known
    space = LabelSpace.generic().extended([deer])
    assert space.labels[: len(LabelSpace.generic().labels)] == LabelSpace.generic().labels
    assert {"Deer", "Ruminant", "Animal"} <= space.truth(deer)


def test_no_data_serves_the_generic_labeler_and_says_how_to_customize(served, tmp_path, caplog):
    app_path = tmp_path / "pet_door_nodata.py"
    app_path.write_text(PET_DOOR)
    app = load_app(app_path, "pet_door_nodata")
    with caplog.at_level(logging.INFO, logger="chameleonapi"):
        assert app.should_open(jpeg("chelsea")) is True
        assert app.should_open(jpeg("coffee")) is False
    assert served[-1].model == "generic"
    told = [r for r in caplog.records if "CHAMELEONAPI_DATA" in r.getMessage()]
    assert len(told) == 1


def test_photos_that_show_none_of_the_apps_labels_serve_generic_with_one_warning(served, tmp_path, caplog, monkeypatch):
    data = photo_folder(tmp_path / "photos", {"coffee": "coffee", "rocket": "rocket"}, count=8)
    monkeypatch.setenv("CHAMELEONAPI_DATA", str(data))
    app_path = tmp_path / "pet_door_uncovered.py"
    app_path.write_text(PET_DOOR)
    app = load_app(app_path, "pet_door_uncovered")
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        assert app.should_open(jpeg("chelsea")) is True
        app.should_open(jpeg("rocket"))
    assert served[-1].model == "generic"
    warnings = [r.getMessage() for r in caplog.records if r.name == "chameleonapi"]
    assert len(warnings) == 1 and "Cat" in warnings[0] and "Dog" in warnings[0]


def test_a_model_worse_than_generic_on_validation_is_not_served(served, tmp_path, caplog, monkeypatch):
    from chameleonapi.analysis import analyze
    from chameleonapi.training import key_parts
    from chameleonapi.training.pipeline import train

    data = photo_folder(tmp_path / "photos", {"cat": "chelsea", "coffee": "coffee", "rocket": "rocket"})
    app_path = tmp_path / "pet_door_gate.py"
    app_path.write_text(PET_DOOR)
    spec = analyze(str(app_path))[0]
    # a ridge no model survives: the class head stays uniform, worse than the generic labeler
    ruined = train(spec, str(data), budget={"train_photos": 200, "val_photos": 100, "l2": 1e9,
                                                   "decision_epochs": 0, "batch_size": 16},
                          progress=False)
    verdict = ruined.card["validation"]
    assert verdict["served"] == "generic" and verdict["customized"] >= verdict["generic"]
    store.put(key_parts(spec, str(data), loss="chameleon", budget="tiny", seed=0), ruined)

    monkeypatch.setenv("CHAMELEONAPI_DATA", str(data))
    app = load_app(app_path, "pet_door_gate")
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        assert app.should_open(jpeg("chelsea")) is True
    assert served[-1].model == "generic"
    assert sum("not better than generic" in r.getMessage() for r in caplog.records) == 1


def test_object_calls_on_photo_data_are_answered_by_the_photo_detector(served, tmp_path, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_DATA", str(tmp_path))
    client = vision.ImageAnnotatorClient()
    response = client.object_localization(image=vision.Image(content=jpeg("chelsea")))
    assert not response.error.message
    assert "Cat" in [o.name for o in response.localized_object_annotations]


@pytest.mark.skipif(not CIFAR.is_dir(), reason="needs the CIFAR-10 photos in ../shared/data (absent)")
def test_cifar_folder_names_resolve_and_truth_has_ancestors():
    from chameleonapi.data import load_dataset

    val = load_dataset(str(CIFAR), "val", size=200)
    names = dict.fromkeys(n for names in val.names for n in names)
    assert {"automobile", "deer"} <= set(names)
    by_name = {names[0]: val.labels(i) for i, names in enumerate(val.names)}
    assert {"Car", "Vehicle"} <= by_name["automobile"]
    assert {"Deer", "Ruminant", "Mammal"} <= by_name["deer"]
    buffer = io.BytesIO()
    val.image(0).save(buffer, "PNG")
    assert buffer.getvalue()


def test_a_class_head_moves_only_the_labels_it_renders_and_survives_the_store(tmp_path):
    import numpy as np
    import torch

    from chameleonapi.model.photo import PhotoModel

    generic = PhotoModel.generic(provider="google")
    cat = generic.vocab_labels.index("Cat")
    feats = torch.rand(6, generic.weight.shape[1])
    base = generic.scores_from_features(feats)
    # two classes (cat, coffee); the cat class is all but certain: Cat is rendered at ~1
    heads = ([cat], torch.zeros(2, feats.shape[1]), torch.tensor([30.0, 0.0]), torch.tensor([[1.0], [0.0]]))
    pushed = PhotoModel(generic.space, generic.weight, generic.bias, generic.labels, heads=heads)
    scores = pushed.scores_from_features(feats)
    assert (scores[:, cat] > 0.99).all()
    others = [j for j in range(scores.shape[1]) if j != cat]
    assert np.array_equal(scores[:, others], base[:, others])  # every other label stays generic

    loaded = PhotoModel.load(pushed.save(tmp_path / "model"))
    assert isinstance(loaded, PhotoModel) and loaded.heads[0] == [cat]
    assert np.allclose(loaded.scores_from_features(feats), scores)
    from chameleonapi.serving.engines import Engine

    coffee = Image.open(io.BytesIO(jpeg("coffee"))).convert("RGB")
    assert Engine(generic).annotate([coffee], 3)[0][0][0] != "Cat"
    assert Engine(loaded).annotate([coffee], 3)[0][0][0] == "Cat"  # served lists rank the replaced scores


def test_training_decides_on_few_columns_exactly_as_on_the_whole_label_space():
    import torch

    from chameleonapi.analysis import analyze
    from chameleonapi.training.evaluate import decisions
    from chameleonapi.training.pipeline import decision_columns, frozen_top, restrict

    spec = analyze(PET_DOOR)[0]  # top 10: the cut is the 11th score of thousands
    resolution = LabelSpace.generic().vocabulary().resolve(spec)
    columns = decision_columns(resolution)
    reduced = restrict(spec, resolution, columns)
    generator = torch.Generator().manual_seed(0)
    scores = torch.rand(60, len(resolution.source) * 2, generator=generator) ** 6
    scores = scores[:, : max(resolution.source) + 1].contiguous()
    frozen = torch.sort(scores[:, [resolution.source[j] for j in reduced.frozen]], dim=1, descending=True).values
    for row in range(len(scores)):  # the app's labels around the cut: ranks 0..19, just above or below
        for i, column in enumerate(columns):
            rank = (row + 7 * i) % 20
            scores[row, column] = frozen[row, rank] + (1e-4 if (row + i) % 2 else -1e-4)
    full = decisions(spec, resolution.output_names, scores.numpy()[:, resolution.source])
    small = torch.cat([frozen_top(scores, resolution, reduced), scores[:, columns]], dim=1).numpy()[:, reduced.source]
    assert len(reduced.source) < 30
    assert decisions(spec, reduced.names, small) == full
    assert len({str(d) for d in full}) > 1  # both decisions occur


@pytest.mark.skipif(not CIFAR.is_dir(), reason="needs the CIFAR-10 photos in ../shared/data (absent)")
def test_photos_are_seen_at_one_input_size_in_training_and_serving():
    import numpy as np

    from chameleonapi.data import load_dataset
    from chameleonapi.model.generic import shared_labeler
    from chameleonapi.model.photo import PhotoModel
    from chameleonapi.training import photo_features

    photos = load_dataset(str(CIFAR), "val", size=3)
    images = [photos.image(i) for i in range(len(photos))] + [Image.open(PHOTOS / "chelsea.jpg")]
    model = PhotoModel.generic()
    trained_on = photo_features.compute(photos, size=model.input_size).float().numpy()
    served = model.features(images).numpy()
    assert np.allclose(served[: len(photos)], trained_on, rtol=1e-2, atol=1e-2)  # float16 cache

    generic = shared_labeler()  # what an app gets with no customization
    served_generic = generic.predict(images)
    mine = model.predict(images)
    column = {name: j for j, name in enumerate(model.labels)}
    shared = [(i, column[name]) for i, name in enumerate(generic.labels) if name in column]
    assert len(shared) == len(generic.labels)
    left, right = zip(*shared)
    assert np.allclose(served_generic[:, list(left)], mine[:, list(right)], atol=1e-4)
