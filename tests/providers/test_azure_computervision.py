"""Azure Computer Vision (v3.2 msrest SDK) served by the local model through the unchanged SDK."""

from __future__ import annotations

import io
import json

import pytest
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from azure.cognitiveservices.vision.computervision.models import (
    ComputerVisionErrorResponseException,
    ImageAnalysis,
    ImageTag,
    TagResult,
    VisualFeatureTypes,
)
from azure.cognitiveservices.vision.computervision.operations._computer_vision_client_operations import (
    ComputerVisionClientOperationsMixin,
)
from msrest.authentication import CognitiveServicesCredentials
from msrest.pipeline import ClientRawResponse

import chameleonapi
from chameleonapi import runtime
from tests.images import CORRUPT, photo

OFFLINE_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing answers there
METHODS = (
    "tag_image", "tag_image_in_stream", "analyze_image", "analyze_image_in_stream",
    "detect_objects", "detect_objects_in_stream",
)




def client(endpoint: str = OFFLINE_ENDPOINT) -> ComputerVisionClient:
    return ComputerVisionClient(endpoint, CognitiveServicesCredentials("any-key"))


def names(tags) -> list[str]:
    return [tag.name for tag in tags]


def error_of(excinfo) -> tuple[int, str, str, str]:
    """(HTTP status, code, inner code, message) of a ComputerVisionErrorResponseException."""
    exc = excinfo.value
    return exc.response.status_code, exc.error.error.code, exc.error.error.innererror.code, exc.error.error.message


def test_chelsea_gets_a_cat_tag_offline(azure, no_sockets):
    stream = io.BytesIO(photo("chelsea"))
    result = client().tag_image_in_stream(stream)
    assert isinstance(result, TagResult)
    assert all(isinstance(tag, ImageTag) for tag in result.tags)
    assert "cat" in names(result.tags)
    assert all(name == name.lower() for name in names(result.tags))
    confidences = [tag.confidence for tag in result.tags]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert (result.metadata.width, result.metadata.height, result.metadata.format) == (451, 300, "Jpeg")
    assert result.model_version and result.request_id
    # the stream is read once and left open for its owner
    assert not stream.closed and stream.tell() == len(photo("chelsea"))


def test_same_ranking_as_the_google_provider(azure):
    from google.cloud import vision

    chameleonapi.enable(["google"])
    google = vision.ImageAnnotatorClient().label_detection(
        image=vision.Image(content=photo("chelsea")), max_results=60
    )
    google_names = [label.description.lower() for label in google.label_annotations]
    azure_names = names(client().tag_image_in_stream(io.BytesIO(photo("chelsea"))).tags)
    # One ranking; Google reports down to 0.5, Azure down to 0.1, so Azure's list goes further.
    assert 5 <= len(google_names) < len(azure_names)
    assert azure_names[: len(google_names)] == google_names


def test_tag_image_reads_local_paths_and_file_urls_when_allowed(azure, tmp_path, no_sockets, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_ALLOW_LOCAL_FILES", "1")
    path = tmp_path / "chelsea.jpg"
    path.write_bytes(photo("chelsea"))
    expected = names(client().tag_image_in_stream(io.BytesIO(photo("chelsea"))).tags)
    for url in (str(path), path.as_uri()):
        assert names(client().tag_image(url).tags) == expected


def test_analyze_image_tags_and_categories(azure, no_sockets):
    analysis = client().analyze_image_in_stream(
        io.BytesIO(photo("chelsea")), visual_features=[VisualFeatureTypes.tags, VisualFeatureTypes.categories]
    )
    assert isinstance(analysis, ImageAnalysis)
    assert "cat" in names(analysis.tags)
    assert [c.name for c in analysis.categories] == ["animal_cat"]
    assert 0.5 <= analysis.categories[0].score <= 1.0
    assert analysis.description is None and analysis.objects is None
    # strings work as well as the enum; the service's default feature is Categories
    by_string = client().analyze_image_in_stream(io.BytesIO(photo("chelsea")), visual_features=["Tags"])
    assert names(by_string.tags) == names(analysis.tags) and by_string.categories is None
    default = client().analyze_image_in_stream(io.BytesIO(photo("coffee")))
    assert default.tags is None and [c.name for c in default.categories] == ["drink_"]


def test_raw_true_gives_a_client_raw_response(azure):
    raw = client().tag_image_in_stream(io.BytesIO(photo("coffee")), raw=True)
    assert isinstance(raw, ClientRawResponse)
    assert isinstance(raw.output, TagResult)
    assert raw.response.status_code == 200
    body = json.loads(raw.response.text)
    assert [t["name"] for t in body["tags"]] == names(raw.output.tags)
    assert raw.response.headers["apim-request-id"] == raw.output.request_id


@pytest.mark.parametrize("data", [CORRUPT, b""], ids=["corrupt", "empty"])
def test_bad_image_bytes_raise_the_sdk_exception(azure, data):
    with pytest.raises(ComputerVisionErrorResponseException) as excinfo:
        client().tag_image_in_stream(io.BytesIO(data))
    status, code, inner, message = error_of(excinfo)
    assert (status, code, inner) == (400, "InvalidRequest", "InvalidImageFormat")
    assert "not a valid image" in message
    assert str(excinfo.value) == f"(InvalidRequest) {message}"
    assert excinfo.value.__suppress_context__  # no chameleonapi exception in the chain
    with pytest.raises(ComputerVisionErrorResponseException) as excinfo:
        client().analyze_image_in_stream(io.BytesIO(data), visual_features=["Tags"])
    assert error_of(excinfo)[2] == "InvalidImageFormat"


def test_urls_the_local_side_will_not_fetch(azure, tmp_path, no_sockets):
    with pytest.raises(ComputerVisionErrorResponseException) as excinfo:
        client().tag_image("https://example.com/cat.jpg")
    status, _, inner, message = error_of(excinfo)
    assert (status, inner) == (400, "InvalidImageUrl")
    assert "CHAMELEONAPI_ALLOW_NETWORK" in message
    with pytest.raises(ComputerVisionErrorResponseException) as excinfo:
        client().analyze_image(str(tmp_path / "missing.jpg"), visual_features=["Tags"])
    assert error_of(excinfo)[2] == "InvalidImageUrl"
    assert "CHAMELEONAPI_ALLOW_LOCAL_FILES" in error_of(excinfo)[3]


@pytest.mark.parametrize(
    "call, named",
    [
        (lambda c, s: c.analyze_image_in_stream(s, visual_features=["Tags", VisualFeatureTypes.adult]), "Adult"),
        (lambda c, s: c.analyze_image_in_stream(s, visual_features=[VisualFeatureTypes.objects, "Color"]), "Color"),
        (lambda c, s: c.analyze_image_in_stream(s, visual_features=[VisualFeatureTypes.description]), "Description"),
        (lambda c, s: c.analyze_image_in_stream(s, visual_features=["Faces"]), "Faces"),
        (lambda c, s: c.analyze_image_in_stream(s, visual_features=["Tags"], details=["Landmarks"]), "Landmarks"),
        (lambda c, s: c.tag_image_in_stream(s, language="es"), "'es'"),
    ],
    ids=["adult", "objects_and_color", "description", "faces", "details", "language"],
)
def test_what_is_not_served_locally_names_itself(azure, no_sockets, call, named):
    with pytest.raises(ComputerVisionErrorResponseException) as excinfo:
        call(client(), io.BytesIO(photo("chelsea")))
    status, code, _, message = error_of(excinfo)
    assert (status, code) == (400, "InvalidRequest")
    assert named in message and "CHAMELEONAPI_PASSTHROUGH" in message


def test_unserved_url_call_is_refused_before_fetching(azure, no_sockets):
    with pytest.raises(ComputerVisionErrorResponseException) as excinfo:
        client().analyze_image("https://example.com/cat.jpg", visual_features=["Faces"])
    assert error_of(excinfo)[2] == "NotSupportedVisualFeature"


def test_passthrough_sends_what_is_not_served_to_the_real_sdk(azure, monkeypatch):
    from msrest.exceptions import ClientRequestError

    monkeypatch.setenv("CHAMELEONAPI_PASSTHROUGH", "1")
    real = client()
    real.config.retry_policy.retries = 0
    # the original method runs and tries the (unreachable) endpoint
    with pytest.raises(ClientRequestError):
        real.analyze_image_in_stream(io.BytesIO(photo("chelsea")), visual_features=["Faces"])
    # what is served locally still is
    assert "cat" in names(real.tag_image_in_stream(io.BytesIO(photo("chelsea"))).tags)


def test_listeners_see_azure_calls(azure):
    seen = []
    runtime.add_listener(seen.append)
    try:
        client().tag_image_in_stream(io.BytesIO(photo("chelsea")))
        with pytest.raises(ComputerVisionErrorResponseException):
            client().tag_image_in_stream(io.BytesIO(CORRUPT))
    finally:
        runtime.remove_listener(seen.append)
    assert [(s.provider, s.method) for s in seen] == [("azure_cv", "tag_image_in_stream")] * 2
    assert seen[0].call_site.file == __file__
    assert seen[1].errors and "not a valid image" in seen[1].errors[0]


def test_disable_restores_the_original_functions():
    cls = ComputerVisionClientOperationsMixin
    before = {name: vars(cls)[name] for name in METHODS}
    chameleonapi.enable(["azure"])
    try:
        for name in METHODS:
            assert vars(cls)[name] is not before[name]
    finally:
        chameleonapi.disable()
    for name, original in before.items():
        assert vars(cls)[name] is original
