"""The ONNX Runtime path: the same answers as torch for every served model and provider, graphs
stored once with a checksum and rebuilt when damaged, one session per graph and thread setting."""

from __future__ import annotations

import logging
import threading
from importlib import resources
from pathlib import Path

import pytest

from tests.providers.drivers import DRIVERS
from tests.training.test_photos import photo_folder

pytest.importorskip("onnxruntime")

PHOTOS = Path(str(resources.files("chameleonapi.examples").joinpath("images")))
JPEGS = [p.read_bytes() for p in sorted(PHOTOS.glob("*.jpg"))]
RUNTIMES = ("torch", "onnx")


@pytest.fixture
def sdk_env(monkeypatch, tmp_path):
    """No cloud credentials of any kind; calls are served, never trained for."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_") or name == "GOOGLE_APPLICATION_CREDENTIALS":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "never")
    monkeypatch.delenv("CHAMELEONAPI_PASSTHROUGH", raising=False)
    return monkeypatch


def served_answers(provider: str, load_model, monkeypatch) -> dict[str, list]:
    """runtime -> the provider's (label, score) lists for the bundled photos, each runtime's
    model (`load_model()` under that runtime) served through the real SDK client."""
    import chameleonapi
    from chameleonapi import services
    from chameleonapi.serving.calls import labels_resolver
    from chameleonapi.serving.engines import Engine

    driver = DRIVERS[provider]
    answers = {}
    for runtime in RUNTIMES:
        monkeypatch.setenv("CHAMELEONAPI_RUNTIME", runtime)
        model = load_model()
        assert model.runtime == runtime
        chameleonapi.enable([services.descriptor(provider).switch])
        labels_resolver.override = Engine(model)
        try:
            client = driver.client()
            answers[runtime] = []
            for data in JPEGS:
                call, args, kwargs = driver.request(client, data)
                answers[runtime].append(driver.labels(call(*args, **kwargs)))
        finally:
            labels_resolver.override = None
            chameleonapi.disable()
    return answers


def assert_same(answers: dict[str, list], scale: float) -> None:
    torch_lists, onnx_lists = answers["torch"], answers["onnx"]
    assert any(torch_lists)  # a photo may get no label over the provider's floor, not all of them
    for t, o in zip(torch_lists, onnx_lists):
        assert [name for name, _ in t] == [name for name, _ in o]
        assert max((abs(a - b) for (_, a), (_, b) in zip(t, o)), default=0.0) <= 1e-4 * scale


@pytest.mark.parametrize("provider", sorted(DRIVERS))
def test_the_generic_model_answers_the_same_on_either_runtime(provider, sdk_env):
    from chameleonapi import services
    from chameleonapi.model.generic import shared_labeler

    answers = served_answers(provider, lambda: shared_labeler(), sdk_env)
    assert_same(answers, services.descriptor(provider).score_scale)


@pytest.fixture(scope="module")
def customized(tmp_path_factory):
    """A photo labeler customized for real to the pet door (crops of the bundled photos), saved."""
    from chameleonapi.analysis import analyze
    from chameleonapi.training.pipeline import train
    from tests.training.test_photos import PET_DOOR

    root = tmp_path_factory.mktemp("customized")
    data = photo_folder(root / "photos", {"cat": "chelsea", "coffee": "coffee", "rocket": "rocket"}, count=16)
    (root / "pet_door.py").write_text(PET_DOOR)
    spec = analyze(str(root / "pet_door.py"))[0]
    model = train(spec, str(data), budget={"train_photos": 48, "val_photos": 24, "fit_iterations": 20,
                                                  "decision_epochs": 2, "batch_size": 16}, progress=False)
    assert model.heads is not None
    return model.save(root / "model")


@pytest.mark.parametrize("provider", sorted(DRIVERS))
def test_a_customized_model_answers_the_same_on_either_runtime(provider, customized, sdk_env):
    from chameleonapi import services
    from chameleonapi.model.photo import PhotoModel

    answers = served_answers(provider, lambda: PhotoModel.load(customized), sdk_env)
    assert_same(answers, services.descriptor(provider).score_scale)


def test_a_customized_model_is_published_with_its_graph(customized, monkeypatch):
    import json

    from chameleonapi.model.files import CorruptModel, sha256_of
    from chameleonapi.model.photo import PhotoModel

    card = json.loads((customized / "card.json").read_text())
    assert card["graph"] == "model.onnx" and card["graph_sha256"] == sha256_of(customized / "model.onnx")
    assert card["trunk_graph"].endswith("features-224")
    import onnx

    assert len(onnx.load(str(customized / "model.onnx")).graph.node) < 60  # the heads' arithmetic only
    monkeypatch.setenv("CHAMELEONAPI_RUNTIME", "onnx")
    assert PhotoModel.load(customized)._graph is not None  # the stored graph, not a new export
    damaged = customized.parent / "damaged"
    damaged.mkdir()
    for f in customized.iterdir():
        (damaged / f.name).write_bytes(f.read_bytes())
    (damaged / "model.onnx").write_bytes(b"not a graph")
    with pytest.raises(CorruptModel, match="checksum"):
        PhotoModel.load(damaged)


def test_a_store_entry_with_a_damaged_graph_is_moved_aside(customized, tmp_path, monkeypatch, caplog):
    from chameleonapi import store
    from chameleonapi.model.photo import PhotoModel

    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path))
    parts = {"test": "graph"}
    store.put(parts, PhotoModel.load(customized))
    assert store.lookup(parts).card["graph"] == "model.onnx"
    (store.entry_path(store.key_of(parts)) / "model.onnx").write_bytes(b"damaged")
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        assert store.lookup(parts) is None
    assert any("model.onnx does not match" in r.getMessage() for r in caplog.records)


def test_photo_features_are_the_same_on_either_runtime(tmp_path):
    import numpy as np

    from chameleonapi.data import load_dataset
    from chameleonapi.training import photo_features

    data = photo_folder(tmp_path / "photos", {"cat": "chelsea", "coffee": "coffee"}, count=3)
    photos = load_dataset(str(data), "train", size=None)
    by = {rt: photo_features.compute(photos, runtime=rt, batch_size=4).float().numpy() for rt in RUNTIMES}
    assert by["torch"].shape == (len(photos), photo_features.DIM)
    assert np.allclose(by["torch"], by["onnx"], rtol=2e-3, atol=2e-3)  # stored as float16


def _linear_graph(tmp_path, monkeypatch):
    """A real (small) torch module's shared graph under a fresh cache folder; counts exports."""
    import torch

    from chameleonapi.model import graphs

    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path))
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.Softmax(dim=-1))
    exports = []

    def build() -> bytes:
        exports.append(1)
        return graphs.export(module, torch.zeros(1, 8))

    path = graphs.graph_path("test.linear")

    def get():
        graphs._sessions.clear()  # a new process
        return graphs.shared_graph(path, build)

    x = torch.rand(3, 8)
    with torch.no_grad():
        expected = module(x).numpy()
    return get, path, exports, x.numpy(), expected


def test_a_shared_graph_is_exported_once_and_rebuilt_when_missing_or_corrupt(tmp_path, monkeypatch, caplog):
    import numpy as np

    from chameleonapi.artifacts import checksum_path

    get, path, exports, x, expected = _linear_graph(tmp_path, monkeypatch)
    assert np.allclose(get()(x), expected, atol=1e-6)
    assert path.is_file() and checksum_path(path).is_file() and len(exports) == 1
    assert np.allclose(get()(x), expected, atol=1e-6) and len(exports) == 1  # read back, not exported
    path.write_bytes(path.read_bytes()[:-10])  # truncated
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        assert np.allclose(get()(x), expected, atol=1e-6)
    assert len(exports) == 2 and any("checksum does not match" in r.getMessage() for r in caplog.records)
    assert not list(path.parent.glob(f"{path.name}.corrupt-*"))  # the damaged copy goes once rebuilt
    checksum_path(path).unlink()
    assert np.allclose(get()(x), expected, atol=1e-6) and len(exports) == 3
    path.unlink()
    assert np.allclose(get()(x), expected, atol=1e-6) and len(exports) == 4
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]  # atomic writes leave nothing


def test_one_session_per_graph_shared_by_threads_and_sized_by_the_threads_setting(tmp_path, monkeypatch):
    import numpy as np

    from chameleonapi.model import graphs

    get, path, _, x, expected = _linear_graph(tmp_path, monkeypatch)
    monkeypatch.setenv("CHAMELEONAPI_THREADS", "2")
    graph = get()
    assert graph.threads == 2
    assert graphs.shared_graph(path, lambda: b"") is graph  # the same session for every caller
    results = [None] * 8

    def run(i):
        results[i] = graph(x)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert all(np.allclose(r, expected, atol=1e-6) for r in results)
    monkeypatch.setenv("CHAMELEONAPI_THREADS", "1")
    one = graphs.shared_graph(path, lambda: b"")
    assert one is not graph and one.threads == 1


def test_the_runtime_setting(monkeypatch, caplog):
    from chameleonapi import config
    from chameleonapi.errors import SettingsError
    from chameleonapi.model import graphs

    monkeypatch.delenv("CHAMELEONAPI_RUNTIME", raising=False)
    monkeypatch.setenv("CHAMELEONAPI_DEVICE", "cpu")
    assert graphs.runtime() == "onnx"  # installed: the default
    monkeypatch.setenv("CHAMELEONAPI_RUNTIME", "torch")
    assert graphs.runtime() == "torch"
    monkeypatch.setenv("CHAMELEONAPI_RUNTIME", "tensorflow")
    with pytest.raises(SettingsError, match="runtime"):
        config.runtime()
    graphs._said.clear()
    with caplog.at_level(logging.ERROR, logger="chameleonapi"):
        assert graphs.runtime() == "onnx" and graphs.runtime() == "onnx"  # a call never fails for it
    assert sum("tensorflow" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize("size", [224, 112])
def test_the_input_made_without_torch_is_timms_transform_of_the_data_config(size):
    import numpy as np
    from PIL import Image
    from timm.data import create_transform

    from chameleonapi.imaging.fit import center_window
    from chameleonapi.model.photo_input import data_config, prepare

    transform = create_transform(**{**data_config(), "input_size": (3, size, size)})
    photos = [Image.open(PHOTOS / f"{stem}.jpg").convert("RGB") for stem in ("chelsea", "coffee")]
    rng = np.random.default_rng(0)
    shapes = [(32, 32), (300, 451), (257, 300), (1000, 17), (size, size)]  # (width, height)
    images = photos + [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for w, h in shapes]
    expected = np.stack([transform(center_window(image)).numpy() for image in images])
    assert np.abs(prepare(images, size) - expected).max() <= 1e-5


def test_without_onnxruntime_torch_answers_and_says_so_once(tmp_path):
    import os
    import subprocess
    import sys
    import textwrap

    from tests.paths import ROOT

    script = textwrap.dedent(
        f"""
        import logging, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "onnxruntime":
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        sys.meta_path.insert(0, Block())
        import importlib.util
        real_find_spec = importlib.util.find_spec
        importlib.util.find_spec = lambda name, *a: None if name == "onnxruntime" else real_find_spec(name, *a)
        logging.basicConfig(level=logging.WARNING, format="%(name)s %(message)s")
        from PIL import Image
        from chameleonapi.model.generic import shared_labeler
        model = shared_labeler()
        labels = model.predict([Image.open({str(PHOTOS / "chelsea.jpg")!r})])
        shared_labeler()
        print("runtime", model.runtime, labels.shape)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CHAMELEONAPI_RUNTIME": "onnx", "CHAMELEONAPI_DEVICE": "cpu"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "runtime torch (1," in done.stdout
    assert done.stderr.count("onnxruntime") == 1 and "serving with torch" in done.stderr
