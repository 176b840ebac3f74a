"""Customization end to end on tiny budgets: features, three trainers, CustomModel, store."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch")
pytest.importorskip("timm")

from chameleonapi import store  # noqa: E402
from chameleonapi.data import load_dataset  # noqa: E402
from chameleonapi.data.builtin import scene_image  # noqa: E402
from chameleonapi.model.custom import CustomModel  # noqa: E402
from chameleonapi.spec import Category, DecisionSpec  # noqa: E402
from chameleonapi.training import customize, key_parts, train_generic  # noqa: E402
from chameleonapi.training import features as feat  # noqa: E402
from chameleonapi.training.trainer import Budget, evaluate, train  # noqa: E402
from chameleonapi.vocab import Vocabulary  # noqa: E402

pytestmark = pytest.mark.slow
TINY = Budget(train_scenes=160, val_scenes=64, epochs=1, decision_epochs=1, batch_size=32)
PETS = DecisionSpec("true_false", "label", [Category("pets", ("Cat", "Dog"))], top_k=10, provider="google")
FARM = DecisionSpec(
    "multi_choice", "category",
    [Category("pasture", ("Cattle", "Sheep")), Category("stable", ("Horse",)), Category("house", ("puppy", "Cat"))],
    top_k=10, provider="google",
)


@pytest.fixture(scope="session")
def pets_model():
    return train(PETS, loss="chameleon", budget=TINY, progress=False)


def test_features_are_cached_once_per_dataset():
    data = load_dataset("builtin", "val", size=TINY.val_scenes)
    first = feat.features(data)
    assert feat.cache_path(data).exists()
    assert first.shape == (TINY.val_scenes, 112, 7, 7)
    again = feat.features(data)
    assert np.array_equal(first.numpy(), again.numpy())


def test_customized_model_is_a_label_model(pets_model):
    vocab = Vocabulary.builtin()
    assert pets_model.labels == vocab.labels
    images = [scene_image(["cat", None, None, "dog"])[0], Image.new("RGB", (300, 200), "white"),
              Image.new("RGBA", (16, 16)), Image.new("1", (64, 64))]
    scores = pets_model.predict(images)
    assert scores.shape == (4, len(pets_model.labels)) and scores.dtype == np.float32
    assert 0.0 <= scores.min() and scores.max() <= 1.0
    card = pets_model.card
    assert card["loss"] == "chameleon" and card["spec"]["kind"] == "true_false"
    history = card["metrics"]["history"]
    assert [h["loss"] for h in history] == ["bce", "decision"]
    assert card["metrics"]["val_incorrect"] == min(h["val_incorrect"] for h in history)


def test_predict_matches_the_training_path(pets_model):
    """A scene sent as a PNG-decoded PIL image scores like its cached training features."""
    import io

    import torch

    data = load_dataset("builtin", "val", size=TINY.val_scenes)
    images = []
    for i in range(4):
        buf = io.BytesIO()
        data.image(i).save(buf, format="PNG")
        images.append(Image.open(io.BytesIO(buf.getvalue())))
    served = pets_model.predict(images)
    feat.set_head_mode(pets_model.network, False)
    with torch.inference_mode():
        trained = torch.sigmoid(feat.head_logits(pets_model.network, feat.features(data)[:4].float())).numpy()
    assert np.abs(served - trained).max() < 0.02


def test_save_and_load_round_trip(pets_model, tmp_path):
    pets_model.save(tmp_path / "m")
    loaded = CustomModel.load(tmp_path / "m")
    assert loaded.labels == pets_model.labels and loaded.name == pets_model.name
    img = [scene_image(["cat"])[0]]
    assert np.allclose(loaded.predict(img), pets_model.predict(img), atol=1e-6)
    assert not list((tmp_path / "m").glob("*.pt*")) and not list((tmp_path / "m").glob("*.pkl"))


def test_aliases_report_the_apps_own_strings():
    model = train(FARM, loss="basic", budget=TINY, progress=False)
    assert "puppy" in model.labels and model.card["aliases"] == {"puppy": "Dog"}
    scores = model.predict([scene_image(["dog", "cow"])[0]])[0]
    assert scores[model.labels.index("puppy")] == pytest.approx(scores[model.labels.index("Dog")])
    assert model.card["loss"] == "basic"
    assert all(h["loss"] == "bce" for h in model.card["metrics"]["history"])


def test_generic_baseline_covers_the_vocabulary_and_is_cached(monkeypatch):
    generic = train_generic(budget=TINY, progress=False)
    assert generic.labels == Vocabulary.builtin().labels and generic.card["spec"] is None
    rate = evaluate(generic, FARM, size=64)
    assert 0.0 <= rate <= 1.0
    import chameleonapi.training.trainer as trainer

    monkeypatch.setattr(trainer, "train", lambda *a, **k: pytest.fail("should come from the store"))
    assert train_generic(budget=TINY, progress=False).name == generic.name


def test_customize_goes_through_the_store(monkeypatch):
    calls = []
    import chameleonapi.training.trainer as trainer

    real = trainer.train

    def counting(*args, **kwargs):
        calls.append(kwargs.get("loss"))
        return real(*args, **kwargs)

    monkeypatch.setattr(trainer, "train", counting)
    first = customize(PETS, progress=False, budget=TINY, seed=1)
    second = customize(PETS, progress=False, budget=TINY, seed=1)
    assert calls == ["chameleon"]
    assert first.labels == second.labels
    assert store.lookup(key_parts(PETS, "builtin", loss="chameleon", budget=TINY, seed=1)) is not None
    assert key_parts(PETS, "builtin", loss="chameleon", budget=TINY, seed=1) != key_parts(
        PETS, "builtin", loss="basic", budget=TINY, seed=1)


def test_trains_on_an_image_folder(tmp_path):
    for animal, folder in [("cat", "kitten"), ("horse", "pony"), (None, "Car")]:
        (tmp_path / folder).mkdir()
        for i in range(10):
            img, _ = scene_image([animal] if animal else [None], seed=i)
            img.save(tmp_path / folder / f"{i}.png")
    spec = DecisionSpec("multi_select", "label", [Category("cat", ("Cat",)), Category("car", ("Car",))], top_k=10)
    model = train(spec, str(tmp_path), loss="chameleon", budget=Budget(epochs=1, decision_epochs=1, batch_size=8),
                  progress=False)
    assert "Car" in model.labels and model.predict([Image.open(tmp_path / "Car" / "0.png")]).shape[0] == 1


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="loss"):
        train(PETS, loss="magic", budget=TINY)
    with pytest.raises(ValueError, match="DecisionSpec"):
        train(None, loss="chameleon", budget=TINY)
    with pytest.raises(ValueError, match="budget"):
        train(PETS, budget="enormous")
