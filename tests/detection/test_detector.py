"""The detector's parts: scenes with exact boxes, targets, decoding, NMS, metrics, losses, store."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from chameleonapi.detection import evaluate, losses, scenes, train
from chameleonapi.detection.model import STRIDE, Detection, Head, decode, nms
from tests.detection.helpers import silhouette_detector, tiny_generic  # noqa: F401  (autouse fixture)

torch.set_num_threads(1)


def test_scenes_are_deterministic_and_boxes_are_the_ink_extent():
    a = scenes.sample_scenes("val", 40, seed=3)
    assert a == scenes.sample_scenes("val", 40, seed=3)
    assert a != scenes.sample_scenes("val", 40, seed=4)
    single = next(s for s in a if len(s.classes) == 1)
    ys, xs = np.nonzero(scenes.render(single) > scenes.INK)
    assert single.boxes[0] == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    for s in a:
        for box in s.boxes:
            assert 0 <= box[0] < box[2] <= scenes.SCENE_SIZE and 0 <= box[1] < box[3] <= scenes.SCENE_SIZE
        for i, b1 in enumerate(s.boxes):
            assert all(scenes.iou(b1, b2) <= scenes.MAX_IOU for b2 in s.boxes[i + 1 :])


def test_splits_share_no_tile_and_focus_raises_the_share_of_listed_classes():
    def tiles(split):
        return {p.tile for s in scenes.sample_scenes(split, 150) for p in s.placements}

    assert not tiles("train") & tiles("test")
    plain = [c for s in scenes.sample_scenes("train", 300) for c in s.classes]
    focused = [c for s in scenes.sample_scenes("train", 300, focus=[8]) for c in s.classes]
    assert focused.count(8) / len(focused) > 2 * plain.count(8) / len(plain)


def test_perfect_outputs_decode_back_to_the_true_boxes():
    sample = [s for s in scenes.sample_scenes("val", 30) if s.classes]
    tgt = train.targets(sample)
    heat = tgt["heat"].clamp(1e-6, 1 - 1e-6)
    # only centre cells are confident; the Gaussian skirt stays below the decode floor
    logits = torch.where(heat.eq(1 - 1e-6), torch.full_like(heat, 8.0), torch.full_like(heat, -8.0))
    preds = decode(logits, tgt["reg"])
    m, _ = evaluate.mean_ap(preds, sample, len(scenes.NAMES))
    assert m == pytest.approx(1.0)
    for dets, scene in zip(preds, sample):
        assert sorted(d.cls for d in dets) == sorted(scene.classes)
        assert all(0 <= v <= 1 for d in dets for v in d.box)


def test_nms_keeps_the_best_of_overlapping_boxes_and_every_disjoint_one():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], dtype=torch.float32)
    scores = torch.tensor([0.6, 0.9, 0.5])
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert sorted(nms(boxes, scores, 0.95).tolist()) == [0, 1, 2]


def test_mean_ap_penalises_wrong_class_and_misplaced_boxes():
    scene = scenes.DetScene((), (0, 1), ((0.0, 0.0, 32.0, 32.0), (64.0, 64.0, 128.0, 128.0)))
    good = [Detection(0, "Bear", 0.9, (0, 0, 0.25, 0.25)), Detection(1, "Bird", 0.8, (0.5, 0.5, 1, 1))]
    wrong = [Detection(1, "Bird", 0.9, (0, 0, 0.25, 0.25)), Detection(1, "Bird", 0.8, (0.0, 0.5, 0.5, 1))]
    assert evaluate.mean_ap([good], [scene], 10)[0] == pytest.approx(1.0)
    assert evaluate.mean_ap([wrong], [scene], 10)[0] == pytest.approx(0.0)


def test_count_metric_counts_listed_objects_above_threshold():
    s1 = scenes.DetScene((), (8, 8, 3), ((0, 0, 1, 1),) * 3)
    s2 = scenes.DetScene((), (3,), ((0, 0, 1, 1),))
    box = (0, 0, 1, 1)
    p1 = [Detection(8, "Sheep", 0.9, box), Detection(8, "Sheep", 0.4, box), Detection(3, "Cow", 0.9, box)]
    p2 = [Detection(8, "Sheep", 0.7, box), Detection(8, "Sheep", 0.6, box)]
    score = evaluate.count_score([p1, p2], [s1, s2], listed=[8], threshold=0.5)
    assert (score.tp, score.fp, score.fn) == (1, 2, 1)
    assert score.exact == 0.0
    assert score.f1 == pytest.approx(2 * 1 / (2 + 2 + 1))


def test_decision_loss_rewards_listed_peaks_above_t_and_nothing_else():
    scene = scenes.DetScene((), (8, 3), ((8.0, 8.0, 40.0, 40.0), (72.0, 72.0, 120.0, 120.0)))
    tgt = train.targets([scene])
    loss = losses.DetectionDecisionLoss([8], threshold=0.5)
    grid = scenes.SCENE_SIZE // STRIDE
    low = torch.full((1, 10, grid, grid), -6.0)
    right = low.clone()
    right[0, 8] = torch.where(tgt["heat"][0, 8].eq(1), torch.tensor(4.0), torch.tensor(-6.0))
    right[0, 3] = torch.where(tgt["heat"][0, 3].eq(1), torch.tensor(4.0), torch.tensor(-6.0))
    counted_cow = right.clone()
    counted_cow[0, 8] = torch.maximum(right[0, 8], right[0, 3])  # the cow also counted as a sheep
    assert loss.decision(right, tgt["heat"]) < loss.decision(low, tgt["heat"])
    assert loss.decision(right, tgt["heat"]) < loss.decision(counted_cow, tgt["heat"])
    # away from listed objects, classes the application does not list may score anything
    other = right.clone()
    other[0, 5] = torch.where(tgt["heat"][0, 8].lt(0.1), torch.tensor(3.0), torch.tensor(-6.0))
    assert float(loss.decision(other, tgt["heat"])) == pytest.approx(float(loss.decision(right, tgt["heat"])))
    # at a listed object's centre, another class scoring above it is a violation
    rival = right.clone()
    rival[0, 5] = 6.0
    assert loss.decision(rival, tgt["heat"]) > loss.decision(right, tgt["heat"]) + 1
    logits = low.clone().requires_grad_(True)
    loss(logits, torch.zeros(1, 4, grid, grid), tgt).backward()
    centre = tgt["heat"][0, 8].eq(1)
    assert (logits.grad[0, 8][centre] < 0).all()  # descent raises the listed class at its centre


def test_tiny_training_learns_and_is_stored_once(monkeypatch):
    from chameleonapi.detection import heads

    head = tiny_generic()
    again = heads.generic_head(build=True)
    assert again is head  # the process keeps one
    calls = []
    monkeypatch.setattr(train, "train_generic", lambda *a, **k: calls.append(1))
    heads._generic_heads.clear()
    reloaded = heads.generic_head(build=False)  # read back from the store, not retrained
    assert not calls
    for (k, v), w in zip(head.state_dict().items(), reloaded.state_dict().values()):
        assert torch.equal(v, w), k
    test_scenes, c3, c4 = train.cached_features("test", 120)
    with torch.inference_mode():
        preds = decode(*reloaded(c3.float(), c4.float()))
    untrained = Head().eval()
    with torch.inference_mode():
        blind = decode(*untrained(c3.float(), c4.float()))
    m, _ = evaluate.mean_ap(preds, test_scenes, 10)
    assert m > 0.2 and m > 3 * evaluate.mean_ap(blind, test_scenes, 10)[0]


def test_unreadable_store_entry_is_rebuilt(tmp_path, monkeypatch):
    from chameleonapi.detection import heads

    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path))
    parts = {"kind": "unit"}
    built = []

    def build():
        built.append(1)
        return Head(), {"name": "unit"}

    heads.get_or_train(parts, build)
    heads.get_or_train(parts, build)
    assert len(built) == 1
    (heads.detectors_dir() / heads.key_of(parts) / "head.safetensors").write_bytes(b"garbage")
    heads.get_or_train(parts, build)
    assert len(built) == 2


def test_missing_generic_detector_is_not_trained_when_training_is_off(tmp_path, monkeypatch):
    from chameleonapi.detection import heads

    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path))
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "never")
    monkeypatch.setattr(heads, "_generic_heads", {})
    from chameleonapi.detection.policy import DetectorUnavailable

    with pytest.raises(DetectorUnavailable, match="python -m chameleonapi.detection build"):
        heads.generic_head()


def test_build_command_stores_the_generic_detector(capsys):
    from chameleonapi.detection import heads
    from chameleonapi.detection.__main__ import main

    tiny_generic()
    assert main(["build"]) == 0
    assert "stored under" in capsys.readouterr().out
    assert (heads.detectors_dir() / heads.key_of(heads.generic_parts())).is_dir()
