"""Data sources: animal-mnist read as data, scenes with exact truth, folders and CSVs."""

from __future__ import annotations

import importlib.util
import pickle

import numpy as np
import pytest
from PIL import Image

from chameleonapi.data import animal_mnist as am
from chameleonapi.data import load_dataset
from chameleonapi.data.builtin import (
    BuiltinScenes,
    compose,
    sample_scenes,
    scene_image,
    tile_split,
)
from chameleonapi.data.csv import CsvImages
from chameleonapi.data.folder import ImageFolder
from chameleonapi.model.transforms import INPUT_SIZE, to_input, to_pixels


class Boom:
    def __reduce__(self):
        return (print, ("executed",))


def test_numpy_pickles_are_parsed_without_unpickling():
    for array in [np.arange(24, dtype=np.uint8).reshape(2, 3, 4), np.array([3, -1, 7], dtype=np.int64)]:
        blob = pickle.dumps(array, protocol=4)
        out = am.parse_numpy_pickle(blob)
        assert out.dtype == array.dtype and np.array_equal(out, array)
    with pytest.raises(ValueError):
        am.parse_numpy_pickle(pickle.dumps(Boom(), protocol=4))


def test_tiles_are_ten_balanced_classes():
    images, labels = am.load_tiles()
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [1000] * 10
    assert am.npz_path().exists()
    # silhouettes: white animals on a black background
    assert images[:, 0, 0].mean() < 40 and images.max() == 255


def test_missing_package_says_how_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "animal_mnist" else real(name, *a))
    with pytest.raises(am.BuiltinDataMissing, match=r"pip install --no-deps animal-mnist==0\.4"):
        am.package_dir()


def test_splits_share_no_tile_and_cover_all():
    split = tile_split(0)
    sets = [set(split[s].tolist()) for s in ("train", "val", "test")]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    assert sum(len(s) for s in sets) == 10000
    for name, pool in split.items():
        for scene in sample_scenes(name, 50):
            assert all(t in set(pool.tolist()) for t in scene.tiles if t >= 0)


def test_scenes_are_deterministic_with_exact_truth_and_boxes():
    a, b = sample_scenes("train", 40, seed=3), sample_scenes("train", 40, seed=3)
    assert a == b and a != sample_scenes("train", 40, seed=4)
    images, labels = am.load_tiles()
    counts = set()
    for scene in a:
        present = [t for t in scene.tiles if t >= 0]
        counts.add(len(present))
        assert sorted(scene.classes) == sorted(am.CLASSES[labels[t]].capitalize() for t in present)
        canvas = compose(scene.tiles)
        for slot, t in enumerate(scene.tiles):
            r, c = divmod(slot, 2)
            region = canvas[r * 56 : (r + 1) * 56, c * 56 : (c + 1) * 56]
            assert (region.max() == 0) == (t < 0) or images[t].max() == 0
        for _name, (x0, y0, x1, y1) in scene.boxes:
            assert 0 <= x0 < x1 <= 112 and 0 <= y0 < y1 <= 112
            assert canvas[y0:y1, x0:x1].max() > 0
    assert len(counts) >= 3


def test_scene_labels_carry_ancestors():
    data = BuiltinScenes("val", 30)
    for i, scene in enumerate(data.scenes):
        labels = data.labels(i)
        assert set(scene.classes) <= labels
        assert ("Mammal" in labels) == any(c != "Bird" for c in scene.classes)
        assert ("Animal" in labels) == bool(scene.classes)


def test_scene_image_generator_for_demos():
    img, scene = scene_image(["cat", None, "dog"])
    assert img.size == (112, 112) and img.mode == "L"
    assert scene.classes == ("Cat", "Dog") and scene.tiles[1] == -1 and scene.tiles[3] == -1
    with pytest.raises(ValueError):
        scene_image(["unicorn"])


def test_fast_pixels_equal_the_pil_path():
    data = load_dataset("builtin", "test", size=12)
    fast = data.pixels(range(12))
    slow = np.stack([to_pixels(data.image(i)) for i in range(12)])
    assert np.array_equal(fast, slow)


def test_any_image_becomes_the_training_input():
    gray = Image.fromarray(np.full((30, 50), 200, dtype=np.uint8), mode="L")
    batch = to_input([gray, gray.convert("RGBA"), gray.convert("RGB").resize((300, 200))])
    assert batch.shape == (3, 3, INPUT_SIZE, INPUT_SIZE) and batch.dtype == np.float32
    assert np.allclose(batch[0], batch[1]) and np.abs(batch[0] - batch[2]).max() < 0.05
    assert -1.0 <= batch.min() and batch.max() <= 1.0


def _write_images(folder, count, value):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        Image.fromarray(np.full((20, 24, 3), value + i, dtype=np.uint8)).save(folder / f"img{i}.png")


def test_image_folder_labels_and_splits(tmp_path):
    _write_images(tmp_path / "kitten", 12, 10)
    _write_images(tmp_path / "Car", 12, 100)
    train = ImageFolder(tmp_path, "train")
    val = ImageFolder(tmp_path, "val")
    test = ImageFolder(tmp_path, "test")
    assert len(train) + len(val) == 24 and len(val) > 0 and len(test) == 0  # every photo is used
    assert not set(train.paths) & set(val.paths)
    held = ImageFolder(tmp_path, "test", test_fraction=0.3)  # a test split only when asked for
    assert len(held) > 0 and not set(held.paths) & set(ImageFolder(tmp_path, "train", test_fraction=0.3).paths)
    by_folder = {p.parent.name: train.labels(i) for i, p in enumerate(train.paths)}
    assert {"Cat", "Feline", "Mammal"} <= by_folder["kitten"]
    assert {"Car", "Vehicle"} <= by_folder["Car"] and "Cat" not in by_folder["Car"]
    small = ImageFolder(tmp_path, "train", size=5)
    assert len(small) == 5 and set(small.paths) <= set(train.paths)
    assert train.image(0).size == (24, 20)
    assert train.fingerprint() != val.fingerprint()


def test_open_images_csv_row_per_label_and_label_lists(tmp_path):
    _write_images(tmp_path / "images", 3, 50)
    for i in range(3):
        (tmp_path / "images" / f"img{i}.png").rename(tmp_path / "images" / f"id{i}.png")
    (tmp_path / "labels.csv").write_text(
        "ImageID,Source,LabelName,Confidence\n"
        "id0,human,Dog,1\nid0,human,Sheep,0\nid1,human,Cattle,1\nid1,human,Horse,1\nid2,human,Bicycle,1\n"
    )
    labels = {}
    for split in ("train", "val", "test"):
        data = CsvImages(tmp_path / "labels.csv", split)
        labels.update({p.stem: data.labels(i) for i, p in enumerate(data.paths)})
    assert "Dog" in labels["id0"] and "Sheep" not in labels["id0"], "Confidence 0 is a verified negative"
    assert {"Cattle", "Bovid", "Horse", "Equine"} <= labels["id1"]
    assert {"Bicycle", "Wheeled vehicle"} <= labels["id2"] and "Dog" not in labels["id2"]

    (tmp_path / "list.csv").write_text("path,labels\nimages/id0.png,cat;bird\nimages/id1.png,zebra\n")
    listed = {}
    for split in ("train", "val", "test"):
        data = CsvImages(tmp_path / "list.csv", split)
        listed.update({p.stem: data.labels(i) for i, p in enumerate(data.paths)})
    assert {"Cat", "Bird"} <= listed["id0"] and "Zebra" in listed["id1"]
    assert load_dataset(str(tmp_path / "list.csv"), "train").name == "csv"


def test_bad_sources_are_explained(tmp_path):
    with pytest.raises(ValueError, match="builtin"):
        load_dataset(str(tmp_path / "nope.txt"), "train")
    (tmp_path / "bad.csv").write_text("foo,bar\n1,2\n")
    with pytest.raises(ValueError, match="image column"):
        CsvImages(tmp_path / "bad.csv")
    with pytest.raises(ValueError, match="split"):
        load_dataset("builtin", "everything")
