"""First-call customization through the unchanged SDK: train once, serve, fall back safely."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import textwrap
import time
from importlib import resources

import pytest
from google.cloud import vision

from chameleonapi import store
from tests.apploader import load_app

PET_DOOR = resources.files("chameleonapi.examples").joinpath("pet_door.py").read_text()

RUNTIME_LOADED = '''
import json
from google.cloud import vision



def should_open(image_bytes):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=image_bytes))
    with open("pets.json") as fh:  # read after the call: not in the calling frame yet
        pets = json.load(fh)
    return any(label.description in pets for label in response.label_annotations)
'''

DRIVER = """
import importlib.util, sys
from chameleonapi.serving.notices import add_listener
served = []
add_listener(lambda call: served.append(call.model))
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
app.should_open(open(sys.argv[2], "rb").read())
print("SERVED", served[-1])
"""


def scene_png(classes=("cat", None, None, "dog")) -> bytes:
    from chameleonapi.data.builtin import scene_image

    image, _ = scene_image(list(classes), split="test", seed=0)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()



@pytest.fixture
def serving_env(monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "auto")
    monkeypatch.setenv("CHAMELEONAPI_BUDGET", "tiny")
    monkeypatch.setenv("CHAMELEONAPI_DATA", "builtin")
    return monkeypatch


@pytest.fixture
def tiny_auto(google_calls):
    return google_calls


def test_first_call_customizes_and_later_calls_reuse(tiny_auto, tmp_path):
    app_path = tmp_path / "pet_door_app.py"
    app_path.write_text(PET_DOOR)
    app = load_app(app_path, "pet_door_app")
    image = scene_png()
    assert app.should_open(image) in (True, False)
    first_model = tiny_auto[-1].model
    assert first_model.startswith("chameleon-")
    start = time.perf_counter()
    app.should_open(image)
    assert tiny_auto[-1].model == first_model
    assert time.perf_counter() - start < 5  # no second training
    # the served labels are the customized model's vocabulary, in Google's style
    assert all(name[:1].isupper() for name, _ in tiny_auto[-1].labels[0])


def test_code_without_source_gets_the_generic_model(tiny_auto, caplog):
    client = vision.ImageAnnotatorClient()
    namespace = {"client": client, "vision": vision, "image": scene_png()}
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        exec("client.label_detection(image=vision.Image(content=image))", namespace)  # noqa: S102
    assert tiny_auto[-1].model == "generic"
    assert any("no source file" in r.message for r in caplog.records)


def test_runtime_loaded_labels_fall_back_to_generic_with_one_warning(tiny_auto, tmp_path, caplog, monkeypatch):
    (tmp_path / "pets.json").write_text('["Cat", "Dog"]')
    monkeypatch.chdir(tmp_path)
    app_path = tmp_path / "loaded_app.py"
    app_path.write_text(RUNTIME_LOADED)
    app = load_app(app_path, "loaded_app")
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        app.should_open(scene_png())
        app.should_open(scene_png())
    assert tiny_auto[-1].model == "generic"
    warnings = [r for r in caplog.records if r.name == "chameleonapi"]
    assert len(warnings) == 1 and "generic" in warnings[0].message


def test_training_failure_never_reaches_the_application(tiny_auto, tmp_path, caplog, monkeypatch):
    (tmp_path / "empty-data").mkdir()  # exists, so the setting is valid; training on it fails
    monkeypatch.setenv("CHAMELEONAPI_DATA", str(tmp_path / "empty-data"))
    app_path = tmp_path / "pet_door_broken.py"
    app_path.write_text(PET_DOOR)
    app = load_app(app_path, "pet_door_broken")
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        assert app.should_open(scene_png()) in (True, False)
        app.should_open(scene_png())
    assert tiny_auto[-1].model == "generic"
    failures = [r for r in caplog.records if "customization failed" in r.message]
    assert len(failures) == 1


def test_train_never_serves_generic(tiny_auto, tmp_path, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "never")
    app_path = tmp_path / "pet_door_never.py"
    app_path.write_text(PET_DOOR)
    load_app(app_path, "pet_door_never").should_open(scene_png())
    assert tiny_auto[-1].model == "generic"


def test_two_processes_train_once_and_serve_the_same_model(tmp_path):
    home = tmp_path / "home"
    app = tmp_path / "pet_door_proc.py"
    app.write_text(PET_DOOR)
    image = tmp_path / "scene.png"
    image.write_bytes(scene_png())
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(DRIVER))
    env = {
        **os.environ,
        "CHAMELEONAPI": "1",
        "CHAMELEONAPI_HOME": str(home),
        "CHAMELEONAPI_TRAIN": "auto",
        "CHAMELEONAPI_BUDGET": "tiny",
        "CHAMELEONAPI_THREADS": "1",
        "CHAMELEONAPI_PROGRESS": "1",  # bars on even in a pipe: they show which process trained
        "CHAMELEONAPI_DATA": "builtin",
    }
    procs = [
        subprocess.Popen([sys.executable, str(driver), str(app), str(image)], env=env, cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (_out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
    served = [out.split("SERVED", 1)[1].strip() for out, _ in outputs]
    assert served[0] == served[1] and served[0].startswith("chameleon-")
    trained = [err for _, err in outputs if "customize (chameleon)" in err]
    assert len(trained) == 1
    entries = [e for e in _entries(home) if e.get("loss") == "chameleon"]
    assert len(entries) == 1


def _entries(home):
    previous = os.environ.get("CHAMELEONAPI_HOME")
    os.environ["CHAMELEONAPI_HOME"] = str(home)
    try:
        return store.list_entries()
    finally:
        os.environ["CHAMELEONAPI_HOME"] = previous
