"""Partial fine-tuning: the last stage retrained, stored, served beside the frozen generic
labels, and kept only when the application decides better with it."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

from chameleonapi import config
from tests.training.test_photos import PET_DOOR, jpeg, photo_folder

FINETUNE = {"train_photos": 200, "val_photos": 100, "fit_iterations": 50, "decision_epochs": 1, "batch_size": 16,
            "finetune_epochs": 1, "finetune_views": 2, "finetune_min_photos": 0, "finetune_batch": 16}


def _spec(tmp_path):
    from chameleonapi.analysis import analyze

    app = tmp_path / "pet_door_ft.py"
    app.write_text(PET_DOOR)
    return analyze(str(app))[0]


def _images(*stems: str) -> list:
    return [Image.open(io.BytesIO(jpeg(stem))).convert("RGB") for stem in stems]


def _tuned_model():
    """A customized model whose class head reads a fine-tuned (here: perturbed) last stage."""
    from chameleonapi.model.photo import PhotoModel
    from chameleonapi.model.stage import make_tail

    generic = PhotoModel.generic(provider="google")
    cat = generic.vocab_labels.index("Cat")
    state = make_tail().state_dict()
    generator = torch.Generator().manual_seed(0)
    state = {k: v + 0.05 * torch.randn(v.shape, generator=generator) for k, v in state.items()}
    weight = torch.randn(2, generic.weight.shape[1], generator=generator) * 0.05
    heads = ([cat], weight, torch.zeros(2), torch.tensor([[1.0], [0.0]]))
    return PhotoModel(generic.space, generic.weight, generic.bias, generic.labels, heads=heads, tail=state), generic, cat


def test_a_fine_tuned_model_keeps_every_other_label_generic_and_survives_the_store(tmp_path):
    from chameleonapi.model.files import CorruptModel
    from chameleonapi.model.photo import CARD, PhotoModel
    from chameleonapi.serving.engines import Engine

    model, generic, cat = _tuned_model()
    images = _images("chelsea", "coffee", "rocket")
    mine, theirs = model.predict_columns(images), generic.predict_columns(images)
    others = [j for j in range(mine.shape[1]) if j != cat]
    assert np.allclose(mine[:, others], theirs[:, others], atol=1e-5)  # the generic labels read the frozen trunk
    frozen, tuned = model.tuned_features(images)
    assert not torch.allclose(frozen, tuned, atol=1e-3)  # the class head reads the stage of its own
    assert model.runtime == "torch"

    folder = model.save(tmp_path / "model")
    loaded = PhotoModel.load(folder)
    assert loaded.tail is not None and loaded.card["tuned_stage"] and loaded.runtime == "torch"
    assert np.allclose(loaded.predict_columns(images), mine, atol=1e-5)
    assert Engine(loaded).annotate(images[:1], 3)[0]

    card = json.loads((folder / CARD).read_text())
    (folder / CARD).write_text(json.dumps({**card, "tuned_stage": False}))
    with pytest.raises(CorruptModel):  # weights and card disagree about the stage: not served
        PhotoModel.load(folder, verify=False)


def test_fine_tuning_runs_and_is_not_kept_when_it_decides_no_better(tmp_path):
    from chameleonapi.training.pipeline import train

    data = photo_folder(tmp_path / "photos", {"cat": "chelsea", "coffee": "coffee", "rocket": "rocket"}, count=16)
    spec = _spec(tmp_path)
    # a learning rate no stage survives: fine-tuned, it decides worse than the frozen head
    ruined = train(spec, str(data), budget={**FINETUNE, "finetune_lr": 1.0, "finetune_head_lr": 1.0}, progress=False)
    report = ruined.card["training"]["finetune"]
    assert len(report["history"]) == 1 and report["epochs"] == 1 and report["views"] == 2
    assert "decision outcomes" in report["loss"] and "val_incorrect" in report["history"][0]
    assert report["served"] == "frozen" and "not better than frozen" in report["reason"]
    assert report["val_incorrect"] >= report["frozen_val_incorrect"]
    assert ruined.tail is None and ruined.card["training"]["trained"] == "class head"
    assert list((config.home() / "features").glob("stage-*.safetensors"))  # the stage inputs are cached

    # too few photos for the budget's floor: the backbone stays frozen, and the card says why
    few = train(spec, str(data), budget={**FINETUNE, "finetune_min_photos": 10_000}, progress=False)
    assert few.tail is None and "fewer than" in few.card["training"]["finetune"]["reason"]


def test_the_tiny_and_default_budgets_do_not_fine_tune():
    from chameleonapi.training.pipeline import BUDGETS

    assert BUDGETS["tiny"].finetune_epochs == 0 and BUDGETS["default"].finetune_epochs == 0
    assert BUDGETS["finetune"].finetune_epochs > 0 and BUDGETS["finetune_ce"].decision_epochs == 0
    assert set(BUDGETS) == set(config.BUDGETS)


def test_training_and_serving_read_the_same_tuned_features(tmp_path):
    from chameleonapi.data import load_dataset
    from chameleonapi.training import finetune as ft
    from chameleonapi.training.pipeline import evaluate

    model, _, _ = _tuned_model()
    data = photo_folder(tmp_path / "photos", {"cat": "chelsea", "coffee": "coffee"}, count=6)
    dataset = load_dataset(str(data), "train")
    cached = ft.tuned_features(model.tail_module(), ft.stage_inputs(dataset, 2, seed=0)[:, 0])
    served = model.tuned_features([dataset.image(i) for i in range(len(dataset))])[1]
    assert torch.allclose(cached, served, atol=0.05, rtol=0.02)  # the cache holds float16 stage inputs
    views = ft.stage_inputs(dataset, 2, seed=0)
    assert not torch.allclose(views[:, 0].float(), views[:, 1].float(), atol=0.1)  # view 1 is augmented
    assert 0.0 <= evaluate(model, _spec(tmp_path), str(data), split="train") <= 1.0


def test_the_epoch_is_chosen_on_decisions_and_ties_fall_back_to_the_cross_entropy_criterion():
    from chameleonapi.training import finetune as ft

    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(24, 2, 192, 7, 7, generator=generator).half()
    classes = torch.arange(24) % 2
    val_inputs, val_classes = torch.randn(12, 192, 7, 7, generator=generator), torch.arange(12) % 2

    def run(judge=None, tie=0.0):
        tail = ft.make_tail()
        torch.manual_seed(0)
        head = torch.nn.Linear(1280, 2)
        return ft.tune_tail(tail, head, inputs, classes, val_inputs, val_classes, epochs=3, lr=1e-3, head_lr=1e-2,
                            patience=5, batch_size=16, seed=0, judge=judge, tie=tie)

    def judged(rates):
        it = iter(rates)
        return lambda feats: next(it)

    plain, history = run()
    assert len(history) == 3
    # the cross-entropy's criterion: the best validation accuracy, ties to the lower loss
    assert plain == max(history, key=lambda h: (h["val_accuracy"], -h["val_loss"], -h["epoch"]))["epoch"]
    other = 1 if plain != 1 else 2
    decisive = [0.5, 0.5, 0.5]
    decisive[other - 1] = 0.2
    assert run(judged(decisive), tie=0.05)[0] == other  # fewer wrong decisions than the tie: that epoch
    close = [0.5, 0.5, 0.5]
    close[other - 1] = 0.47
    assert run(judged(close), tie=0.05)[0] == plain  # within the tie: the cross-entropy's choice
    assert run(judged([0.3, 0.3, 0.3]))[0] == plain  # all tied exactly
