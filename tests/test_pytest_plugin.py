"""The pytest plugin is inert until asked, and serves SDK calls when asked."""

from __future__ import annotations

import subprocess
import sys

# Imported here, not under `pytester` (which drops the modules a test imports), so numpy and
# Pillow are loaded once per process whatever order the tests run in.
from tests.images import photo

pytest_plugins = ["pytester"]

APP_TEST = """
from google.cloud import vision
import chameleonapi

CAT = {cat!r}

def labels():
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=open(CAT, "rb").read()))
    return [l.description for l in response.label_annotations]
"""


def test_help_lists_the_option():
    result = subprocess.run([sys.executable, "-m", "pytest", "--help"], capture_output=True, text=True, timeout=120)
    assert "--chameleonapi" in result.stdout


def _write_cat(pytester):
    path = pytester.path / "cat.jpg"
    path.write_bytes(photo("chelsea"))
    return str(path)


def test_fixture_serves_and_records(pytester):
    cat = _write_cat(pytester)
    pytester.makepyfile(
        test_app=APP_TEST.format(cat=cat)
        + """
def test_cat(chameleonapi):
    assert "Cat" in labels()
    assert chameleonapi.images == 1
    assert chameleonapi.calls[0].provider == "google"
    assert any(name == "Cat" for name, _ in chameleonapi.labels[0])

def test_inert_without_asking():
    assert not chameleonapi.is_enabled()
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_marker_and_flag(pytester):
    cat = _write_cat(pytester)
    pytester.makepyfile(
        test_app=APP_TEST.format(cat=cat)
        + """
import pytest

@pytest.mark.chameleonapi
def test_marked():
    assert "Cat" in labels()

def test_session_flag():
    assert chameleonapi.is_enabled()
"""
    )
    result = pytester.runpytest_subprocess("--chameleonapi", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


DECIDING_TEST = APP_TEST + """
import logging
import pytest

def is_pet():
    return any(label in ("Cat", "Dog") for label in labels())

def test_served_without_training(chameleonapi, caplog):
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        is_pet()
    assert chameleonapi.calls[0].model == "generic"
    assert not [r for r in caplog.records if "customization" in r.message]

@pytest.mark.chameleonapi(train=True)
def test_opted_in_training(chameleonapi, caplog):
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        is_pet()
    # the configured data does not exist, so the attempted customization falls back, and says so
    assert [r for r in caplog.records if "no-such-photos" in r.message and "generic model" in r.message]
"""


AZURE_TEST = """
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

def test_tags(chameleonapi):
    client = ComputerVisionClient("https://x.cognitiveservices.azure.com/", CognitiveServicesCredentials("k"))
    with open({cat!r}, "rb") as fh:
        result = client.tag_image_in_stream(fh)
    returned = [(t.name, t.confidence) for t in result.tags]
    assert [name for name, _ in chameleonapi.labels[0]] == [name for name, _ in returned]
    assert any(name == "cat" for name, _ in returned)
"""


def test_no_training_unless_opted_in_and_labels_as_the_sdk_returned_them(pytester, monkeypatch, tmp_path):
    monkeypatch.delenv("CHAMELEONAPI_TRAIN", raising=False)
    monkeypatch.setenv("CHAMELEONAPI_DATA", str(tmp_path / "no-such-photos"))
    cat = _write_cat(pytester)
    pytester.makepyfile(test_app=DECIDING_TEST.format(cat=cat), test_azure=AZURE_TEST.format(cat=cat))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_a_failing_setup_leaves_nothing_on(pytester):
    """A test whose serving cannot start errors alone: the tests after it see no patch, no
    settings override and no listener left behind."""
    pytester.makepyfile(
        test_app="""
import pytest
from google.cloud import vision_v1
import chameleonapi
from chameleonapi import config
from chameleonapi.serving.notices import listening

ORIGINAL = vision_v1.ImageAnnotatorClient.batch_annotate_images

@pytest.mark.chameleonapi(providers=["google", "no-such-sdk"])
def test_unknown_provider():
    pass

@pytest.fixture
def bad_threads(monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_THREADS", "-2")

@pytest.mark.chameleonapi(train=True)
def test_bad_setting(bad_threads, chameleonapi):
    pass

def test_after_them_nothing_is_on():
    assert not chameleonapi.is_enabled()
    assert vision_v1.ImageAnnotatorClient.batch_annotate_images is ORIGINAL
    assert not listening() and not config.source_of("train").startswith("--")  # no override left
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=2)


def test_a_session_that_cannot_start_serving_leaves_nothing_on(pytester, monkeypatch):
    """`--chameleonapi` with an unusable setting: the run stops at configuration, and this
    process is left with no patch and no settings override (checked in-process)."""
    import chameleonapi
    from chameleonapi import config

    pytester.makepyfile(test_app="def test_never_runs():\n    pass\n")
    monkeypatch.setenv("CHAMELEONAPI_THREADS", "-2")
    anchor = config.set_project(None)  # the inner run points settings at its own folder ...
    try:
        result = pytester.runpytest_inprocess("--chameleonapi", "-p", "no:cacheprovider")
    finally:
        config.set_project(anchor)  # ... and this session's anchor comes back
    assert result.ret != 0
    monkeypatch.delenv("CHAMELEONAPI_THREADS")
    assert not chameleonapi.is_enabled()
    assert not config.source_of("train").startswith("--")  # the session's override was undone
