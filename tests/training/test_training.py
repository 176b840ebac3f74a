"""Customization end to end on the built-in scenes, tiny budgets: the one pipeline, the
served model, the store."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch")
pytest.importorskip("timm")

from chameleonapi import store  # noqa: E402
from chameleonapi.data import load_dataset  # noqa: E402
from chameleonapi.data.builtin import scene_image  # noqa: E402
from chameleonapi.model.photo import PhotoModel  # noqa: E402
from chameleonapi.spec import Category, DecisionSpec  # noqa: E402
from chameleonapi.training import customize, key_parts, train_generic  # noqa: E402
from chameleonapi.training import photo_features as pf  # noqa: E402
from chameleonapi.training.pipeline import Budget, evaluate, photo_classes, prepare_data, train  # noqa: E402

pytestmark = pytest.mark.slow
TINY = Budget(train_photos=240, val_photos=96, fit_iterations=60, decision_epochs=2, batch_size=32)
PETS = DecisionSpec("true_false", "label", [Category("pets", ("Cat", "Dog"))], top_k=10, provider="google")
FARM = DecisionSpec(
    "multi_choice", "category",
    [Category("pasture", ("Cattle", "Sheep")), Category("stable", ("Horse",)), Category("house", ("puppy", "Cat"))],
    top_k=10, provider="google",
)


@pytest.fixture(scope="session")
def pets_model():
    return train(PETS, "builtin", loss="chameleon", budget=TINY, progress=False)


def test_scenes_are_classes_of_what_the_decision_reads():
    """Every scene is used: a blank one shows nothing, and a scene of several animals is the
    class of the pets among them (the others cannot change the decision)."""
    scenes = load_dataset("builtin", "val", size=TINY.val_photos)
    data = prepare_data(PETS, [scenes])
    classes, labels = photo_classes(data, scenes)
    assert (classes >= 0).all()
    blank = [i for i, names in enumerate(scenes.names) if not names]
    assert blank and all(not labels[classes[i]] for i in blank)
    for i, names in enumerate(scenes.names):
        if len(names) > 1:
            pets = {n for n in names if n in ("Cat", "Dog")}
            assert {x for x in ("Cat", "Dog") if x in labels[classes[i]]} == pets
            assert "Horse" not in labels[classes[i]]


def test_the_customized_model_decides_better_than_the_generic_labeler(pets_model):
    card = pets_model.card
    assert card["loss"] == "chameleon" and card["spec"]["kind"] == "true_false"
    assert card["validation"]["served"] == "customized"
    assert card["data"]["unused_photos"] == 0
    held_out = dict(split="test", size=300)
    assert evaluate(pets_model, PETS, "builtin", **held_out) < evaluate(train_generic("google"), PETS, "builtin", **held_out)


def test_customized_model_is_a_label_model(pets_model):
    images = [scene_image(["cat", None, None, "dog"])[0], Image.new("RGB", (300, 200), "white"),
              Image.new("RGBA", (16, 16)), Image.new("1", (64, 64))]
    scores = pets_model.predict(images)
    assert scores.shape == (4, len(pets_model.labels)) and scores.dtype == np.float32
    assert 0.0 <= scores.min() and scores.max() <= 1.0
    cat = pets_model.labels.index("Cat")
    assert scores[0, cat] > scores[1, cat]


def test_predict_matches_the_training_path(pets_model):
    """A scene sent as a PNG-decoded PIL image scores like its cached training features."""
    data = load_dataset("builtin", "val", size=TINY.val_photos)
    images = []
    for i in range(4):
        buf = io.BytesIO()
        data.image(i).save(buf, format="PNG")
        images.append(Image.open(io.BytesIO(buf.getvalue())))
    served = pets_model.predict(images)
    trained = pets_model.scores_from_features(pf.features(data)[:4].float())[:, pets_model.source]
    assert np.abs(served - trained).max() < 0.02


def test_save_and_load_round_trip(pets_model, tmp_path):
    pets_model.save(tmp_path / "m")
    loaded = PhotoModel.load(tmp_path / "m")
    assert loaded.labels == pets_model.labels and loaded.name == pets_model.name
    img = [scene_image(["cat"])[0]]
    assert np.allclose(loaded.predict(img), pets_model.predict(img), atol=1e-5)
    assert not list((tmp_path / "m").glob("*.pt*")) and not list((tmp_path / "m").glob("*.pkl"))


def test_aliases_report_the_apps_own_strings():
    model = train(FARM, "builtin", loss="basic", budget=TINY, progress=False)
    assert "puppy" in model.labels and model.card["aliases"] == {"puppy": "Dog"}
    scores = model.predict([scene_image(["dog", "cow"])[0]])[0]
    assert scores[model.labels.index("puppy")] == pytest.approx(scores[model.labels.index("Dog")])
    assert model.card["loss"] == "basic" and model.card["metrics"]["decision_epochs"] == 0


def test_customize_goes_through_the_store(monkeypatch):
    calls = []
    import chameleonapi.training.pipeline as pipeline

    real = pipeline.train

    def counting(*args, **kwargs):
        calls.append(kwargs.get("loss"))
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "train", counting)
    first = customize(PETS, progress=False, budget=TINY, seed=1)
    second = customize(PETS, progress=False, budget=TINY, seed=1)
    assert calls == ["chameleon"]
    assert first.labels == second.labels
    assert store.lookup(key_parts(PETS, "builtin", loss="chameleon", budget=TINY, seed=1)) is not None
    assert key_parts(PETS, "builtin", loss="chameleon", budget=TINY, seed=1) != key_parts(
        PETS, "builtin", loss="basic", budget=TINY, seed=1)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="loss"):
        train(PETS, "builtin", loss="magic", budget=TINY)
    with pytest.raises(ValueError, match="budget"):
        train(PETS, "builtin", budget="enormous")
    with pytest.raises(ValueError, match="budget field"):
        train(PETS, "builtin", budget={"train_scenes": 10})
