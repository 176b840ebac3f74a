"""Google `object_localization` served by the local detector through the unchanged SDK."""

from __future__ import annotations

import textwrap

import pytest
from google.cloud import vision

import chameleonapi
from chameleonapi.detection import scenes
from chameleonapi.detection.policy import REPORT_FLOOR
from chameleonapi.serving import calls
from chameleonapi.serving.calls import object_resolver
from chameleonapi.serving.notices import add_listener, remove_listener
from tests.detection.helpers import silhouette_detector, tiny_generic  # noqa: F401  (autouse fixture)
from tests.images import CORRUPT


@pytest.fixture
def google():
    tiny_generic()
    object_resolver.reset()
    chameleonapi.enable(["google"])
    yield
    chameleonapi.disable()
    object_resolver.reset()


def test_scene_objects_are_real_annotations_with_normalized_boxes(google):
    client = vision.ImageAnnotatorClient()
    hits = found = 0
    for scene in scenes.sample_scenes("test", 24, seed=5):
        response = client.object_localization(image=vision.Image(content=scenes.scene_png(scene)))
        objects = response.localized_object_annotations
        assert not response.error.message
        assert all(isinstance(o, vision.LocalizedObjectAnnotation) for o in objects)
        scores = [o.score for o in objects]
        assert scores == sorted(scores, reverse=True) and all(s >= REPORT_FLOOR - 1e-6 for s in scores)
        for obj in objects:
            vertices = obj.bounding_poly.normalized_vertices
            assert len(vertices) == 4 and all(0 <= v.x <= 1 and 0 <= v.y <= 1 for v in vertices)
            x0, y0, x1, y1 = vertices[0].x, vertices[0].y, vertices[2].x, vertices[2].y
            assert x0 <= x1 and y0 <= y1
            found += 1
            box = tuple(v * scenes.SCENE_SIZE for v in (x0, y0, x1, y1))
            hits += any(
                scenes.iou(box, truth) >= 0.5 and name == obj.name for name, truth in zip(scene.names, scene.boxes)
            )
    assert found and hits / found > 0.5  # most reported objects are real, of the right class


def test_annotate_image_serves_objects_and_labels_together_and_honours_max_results(google):
    client = vision.ImageAnnotatorClient()
    scene = next(s for s in scenes.sample_scenes("test", 60, seed=1) if len(s.classes) >= 4)
    request = {
        "image": {"content": scenes.scene_png(scene)},
        "features": [
            {"type_": vision.Feature.Type.OBJECT_LOCALIZATION, "max_results": 1},
            {"type_": vision.Feature.Type.LABEL_DETECTION, "max_results": 3},
        ],
    }
    response = client.annotate_image(request)
    assert len(response.localized_object_annotations) <= 1
    assert 1 <= len(response.label_annotations) <= 3


def test_corrupt_image_is_a_per_image_error_and_the_others_are_answered(google):
    client = vision.ImageAnnotatorClient()
    feature = {"type_": vision.Feature.Type.OBJECT_LOCALIZATION}
    good = scenes.scene_png(scenes.sample_scenes("test", 5)[1])
    response = client.batch_annotate_images(
        requests=[{"image": {"content": CORRUPT}, "features": [feature]}, {"image": {"content": good}, "features": [feature]}]
    )
    assert response.responses[0].error.code == 3
    assert not response.responses[1].error.message


def test_served_calls_are_reported_to_listeners(google):
    seen = []
    add_listener(seen.append)
    try:
        vision.ImageAnnotatorClient().object_localization(
            image=vision.Image(content=scenes.scene_png(scenes.sample_scenes("test", 3)[2]))
        )
    finally:
        remove_listener(seen.append)
    assert seen and seen[-1].model == "generic-detector" and seen[-1].n_images == 1


def test_without_a_detector_and_without_training_the_feature_is_named(tmp_path, monkeypatch):
    from chameleonapi.detection import heads
    from chameleonapi.serving.objects import OBJECTS
    from chameleonapi.serving.resolution import Resolver

    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path))
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "never")
    monkeypatch.setattr(heads, "_generic_heads", {})
    monkeypatch.setattr(calls, "object_resolver", Resolver(OBJECTS))
    with chameleonapi.enabled(["google"]):
        response = vision.ImageAnnotatorClient().object_localization(
            image=vision.Image(content=scenes.scene_png(scenes.sample_scenes("test", 2)[1]))
        )
    assert "OBJECT_LOCALIZATION" in response.error.message
    assert not response.localized_object_annotations


APP = '''
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def sheep_alarm(content):
    objects = client.object_localization(image=vision.Image(content=content)).localized_object_annotations
    sheep = [o for o in objects if o.name == "Sheep" and o.score > 0.6]
    return len(sheep) > 3
'''


def test_a_counting_application_gets_a_detector_customized_to_its_classes(google, tmp_path, monkeypatch):
    import importlib.util

    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "auto")
    path = tmp_path / "sheep_app.py"
    path.write_text(textwrap.dedent(APP))
    spec = importlib.util.spec_from_file_location("sheep_app", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seen = []
    add_listener(seen.append)
    try:
        module.sheep_alarm(scenes.scene_png(scenes.sample_scenes("test", 3)[0]))
    finally:
        remove_listener(seen.append)
    assert seen[-1].model == "chameleon-detector[Sheep]"
    assert seen[-1].call_site.file == str(path)


def test_async_client_localizes_objects(google):
    import asyncio

    async def run():
        client = vision.ImageAnnotatorAsyncClient()
        request = {
            "image": {"content": scenes.scene_png(scenes.sample_scenes("test", 4)[3])},
            "features": [{"type_": "OBJECT_LOCALIZATION"}],
        }
        return await client.batch_annotate_images(requests=[request])

    response = asyncio.run(run()).responses[0]
    assert not response.error.message
    assert all(isinstance(o, vision.LocalizedObjectAnnotation) for o in response.localized_object_annotations)


ZEBRA_APP = '''
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def zebras(content):
    objects = client.object_localization(image=vision.Image(content=content)).localized_object_annotations
    return sum(1 for o in objects if o.name == "Zebra" and o.score >= 0.7)
'''


def test_background_training_serves_the_generic_detector_until_ready(google, tmp_path, monkeypatch):
    import importlib.util
    import time

    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "background")
    path = tmp_path / "zebra_app.py"
    path.write_text(textwrap.dedent(ZEBRA_APP))
    spec = importlib.util.spec_from_file_location("zebra_app", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seen = []
    add_listener(seen.append)
    png = scenes.scene_png(scenes.sample_scenes("test", 3)[0])
    try:
        module.zebras(png)
        assert seen[-1].model == "generic-detector"
        deadline = time.monotonic() + 60
        while seen[-1].model == "generic-detector" and time.monotonic() < deadline:
            time.sleep(0.5)
            module.zebras(png)
    finally:
        remove_listener(seen.append)
    assert seen[-1].model == "chameleon-detector[Zebra]"
