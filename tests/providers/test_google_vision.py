"""Google Cloud Vision served by the local model through the unchanged SDK."""

from __future__ import annotations

import asyncio

import pytest
from google.cloud import vision

import chameleonapi
from chameleonapi import runtime
from tests.images import CORRUPT, photo

CLIENT_MODULE = "google.cloud.vision_v1.services.image_annotator.client"


@pytest.fixture
def google():
    chameleonapi.enable(["google"])
    yield
    chameleonapi.disable()


def labels_of(response) -> list[str]:
    return [label.description for label in response.label_annotations]


def test_chelsea_is_a_cat_and_scores_are_sorted(google):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=photo("chelsea")))
    assert isinstance(response, vision.AnnotateImageResponse)
    assert "Cat" in labels_of(response)
    scores = [label.score for label in response.label_annotations]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert 1 <= len(scores) <= 10 and min(scores) >= 0.5  # the default max_results; nothing under Google's floor
    assert all(isinstance(a, vision.EntityAnnotation) for a in response.label_annotations)


def test_coffee_gets_a_cup_or_coffee_label(google):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=photo("coffee")))
    assert {"Coffee", "Cup", "Coffee mug", "Espresso"} & set(labels_of(response))


def test_max_results_is_honoured(google):
    client = vision.ImageAnnotatorClient()
    few = client.label_detection(image=vision.Image(content=photo("chelsea")), max_results=3)
    many = client.label_detection(image=vision.Image(content=photo("chelsea")), max_results=25)
    assert len(few.label_annotations) == 3
    assert 3 < len(many.label_annotations) <= 25  # every label above Google's 0.5 floor, up to 25
    assert labels_of(many)[:3] == labels_of(few)


def test_batch_with_one_corrupt_image_answers_the_others(google):
    client = vision.ImageAnnotatorClient()
    label = {"type_": vision.Feature.Type.LABEL_DETECTION}
    batch = client.batch_annotate_images(
        requests=[
            {"image": {"content": photo("chelsea")}, "features": [label]},
            {"image": {"content": CORRUPT}, "features": [label]},
            {"image": {"content": photo("coffee")}, "features": [label]},
        ]
    )
    assert isinstance(batch, vision.BatchAnnotateImagesResponse)
    first, bad, third = batch.responses
    assert bad.error.code == 3  # INVALID_ARGUMENT
    assert "Bad image data" in bad.error.message
    assert not bad.label_annotations
    assert "Cat" in labels_of(first) and not first.error.message
    assert labels_of(third) and not third.error.message


def test_annotate_image_with_uri_and_file_scheme_when_local_files_are_allowed(google, tmp_path, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_ALLOW_LOCAL_FILES", "1")
    path = tmp_path / "cat.jpg"
    path.write_bytes(photo("chelsea"))
    client = vision.ImageAnnotatorClient()
    for uri in (str(path), path.as_uri()):
        response = client.annotate_image(
            {"image": {"source": {"image_uri": uri}}, "features": [{"type_": vision.Feature.Type.LABEL_DETECTION}]}
        )
        assert "Cat" in labels_of(response)


def test_uri_errors_are_per_image(google, tmp_path):
    path = tmp_path / "cat.jpg"
    path.write_bytes(photo("chelsea"))
    client = vision.ImageAnnotatorClient()
    cases = {
        "gs://bucket/cat.jpg": (3, "Cloud Storage"),
        "https://example.com/cat.jpg": (3, "CHAMELEONAPI_ALLOW_NETWORK"),
        str(path): (7, "CHAMELEONAPI_ALLOW_LOCAL_FILES"),  # local files are off by default
        str(tmp_path / "missing.jpg"): (7, "CHAMELEONAPI_ALLOW_LOCAL_FILES"),
    }
    for uri, (code, expected) in cases.items():
        response = client.label_detection(image=vision.Image(source=vision.ImageSource(image_uri=uri)))
        assert response.error.code == code
        assert expected in response.error.message
        assert not response.label_annotations


def test_unsupported_feature_names_the_feature(google):
    client = vision.ImageAnnotatorClient()
    response = client.face_detection(image=vision.Image(content=photo("astronaut")))
    assert "FACE_DETECTION" in response.error.message
    assert not response.face_annotations


def test_annotate_image_without_features_serves_labels_and_names_the_rest(google):
    client = vision.ImageAnnotatorClient()
    response = client.annotate_image({"image": {"content": photo("chelsea")}})
    assert "Cat" in labels_of(response)
    assert "TEXT_DETECTION" in response.error.message


def test_clients_construct_without_credentials_and_never_touch_the_network(google, monkeypatch):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    served = []
    runtime.add_listener(served.append)
    try:
        client = vision.ImageAnnotatorClient(client_options={"api_endpoint": "127.0.0.1:9"})
        response = client.label_detection(image=vision.Image(content=photo("chelsea")))
    finally:
        runtime.remove_listener(served.append)
    assert "Cat" in labels_of(response)
    assert len(served) == 1 and served[0].provider == "google"


def test_async_client(google):
    async def call():
        client = vision.ImageAnnotatorAsyncClient()
        request = {"image": {"content": photo("chelsea")}, "features": [{"type_": "LABEL_DETECTION", "max_results": 5}]}
        return await client.batch_annotate_images(requests=[request])

    batch = asyncio.run(call())
    assert len(batch.responses[0].label_annotations) == 5
    assert "Animal" in labels_of(batch.responses[0])


def test_beta_version_client(google):
    from google.cloud import vision_v1p3beta1

    client = vision_v1p3beta1.ImageAnnotatorClient()
    response = client.label_detection(image=vision_v1p3beta1.Image(content=photo("chelsea")))
    assert isinstance(response, vision_v1p3beta1.AnnotateImageResponse)
    assert "Cat" in labels_of(response)


def test_disable_restores_the_original_functions():
    import importlib

    module = importlib.import_module(CLIENT_MODULE)
    cls = module.ImageAnnotatorClient
    before = {name: vars(cls)[name] for name in ("__init__", "batch_annotate_images")}
    chameleonapi.enable(["google"])
    assert vars(cls)["batch_annotate_images"] is not before["batch_annotate_images"]
    chameleonapi.disable()
    for name, original in before.items():
        assert vars(cls)[name] is original


def test_async_calls_are_attributed_to_the_application(google):
    served = []
    runtime.add_listener(served.append)

    async def app_function():
        client = vision.ImageAnnotatorAsyncClient()
        request = {"image": {"content": photo("chelsea")}, "features": [{"type_": "LABEL_DETECTION"}]}
        return await client.batch_annotate_images(requests=[request])

    try:
        asyncio.run(app_function())
    finally:
        runtime.remove_listener(served.append)
    assert served[-1].call_site.file == __file__
    assert served[-1].call_site.function == "app_function"


def test_a_batch_mixing_served_and_forwarded_images_keeps_each_answer_in_place(google, monkeypatch):
    """With pass-through on, what is not served goes to the service (here, the function the
    patch would hand the request to) and its answers take their places among the local ones."""
    from chameleonapi.patches.google_vision import serve_batch

    monkeypatch.setenv("CHAMELEONAPI_PASSTHROUGH", "1")
    label = {"type_": vision.Feature.Type.LABEL_DETECTION}
    text = {"type_": vision.Feature.Type.TEXT_DETECTION}
    request = vision.BatchAnnotateImagesRequest(requests=[
        {"image": {"content": photo("chelsea")}, "features": [text]},
        {"image": {"content": photo("chelsea")}, "features": [label]},
        {"image": {"content": photo("coffee")}, "features": [text]},
    ])
    sent = []

    def service(requests):
        sent.extend(requests)
        return vision.BatchAnnotateImagesResponse(responses=[
            {"text_annotations": [{"description": f"text {i}"}]} for i in range(len(requests))])

    batch = serve_batch("vision_v1", request, service)
    assert isinstance(batch, vision.BatchAnnotateImagesResponse) and len(batch.responses) == 3
    assert [r.features[0].type_ for r in sent] == [vision.Feature.Type.TEXT_DETECTION] * 2
    assert [r.image.content for r in sent] == [photo("chelsea"), photo("coffee")]
    first, served, last = batch.responses
    assert [a.description for a in first.text_annotations] == ["text 0"] and not first.label_annotations
    assert "Cat" in labels_of(served) and not served.text_annotations and not served.error.message
    assert [a.description for a in last.text_annotations] == ["text 1"]
