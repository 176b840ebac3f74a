"""Azure Image Analysis 4.0 (azure-core SDK, sync and async) served by the local model."""

from __future__ import annotations

import io

import pytest
from azure.ai.vision.imageanalysis import ImageAnalysisClient
from azure.ai.vision.imageanalysis.aio import ImageAnalysisClient as AsyncImageAnalysisClient
from azure.ai.vision.imageanalysis.models import DetectedTag, ImageAnalysisResult, VisualFeatures
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ServiceRequestError

import chameleonapi
from tests.images import CORRUPT, photo

OFFLINE_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing answers there
TAGS = [VisualFeatures.TAGS]




def client() -> ImageAnalysisClient:
    return ImageAnalysisClient(endpoint=OFFLINE_ENDPOINT, credential=AzureKeyCredential("any-key"))


def names(result) -> list[str]:
    return [tag.name for tag in result.tags.list]


def test_chelsea_gets_a_cat_tag_offline(azure, no_sockets):
    result = client().analyze(image_data=photo("chelsea"), visual_features=TAGS)
    assert isinstance(result, ImageAnalysisResult)
    assert all(isinstance(tag, DetectedTag) for tag in result.tags.list)
    assert "cat" in names(result)
    assert all(name == name.lower() for name in names(result))
    confidences = [tag.confidence for tag in result.tags.list]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert (result.metadata.width, result.metadata.height) == (451, 300)
    assert result.model_version == "2023-10-01"
    assert result.caption is None and result.objects is None
    assert result["tagsResult"]["values"][0]["name"] == names(result)[0]  # the REST JSON view


def test_one_model_three_dialects(azure):
    from azure.cognitiveservices.vision.computervision import ComputerVisionClient
    from google.cloud import vision
    from msrest.authentication import CognitiveServicesCredentials

    chameleonapi.enable(["google"])
    google = vision.ImageAnnotatorClient().label_detection(
        image=vision.Image(content=photo("chelsea")), max_results=60
    )
    google_names = [label.description.lower() for label in google.label_annotations]
    image_analysis = names(client().analyze(photo("chelsea"), TAGS))
    computer_vision = ComputerVisionClient(OFFLINE_ENDPOINT, CognitiveServicesCredentials("k"))
    cv_names = [t.name for t in computer_vision.tag_image_in_stream(io.BytesIO(photo("chelsea"))).tags]
    assert image_analysis == cv_names
    # One ranking; Google reports down to 0.5, Azure down to 0.1, so Azure's list goes further.
    assert 5 <= len(google_names) < len(image_analysis)
    assert image_analysis[: len(google_names)] == google_names


def test_analyze_from_url_reads_local_paths_and_file_urls_when_allowed(azure, tmp_path, no_sockets, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_ALLOW_LOCAL_FILES", "1")
    path = tmp_path / "chelsea.png"
    path.write_bytes(photo("chelsea", "PNG"))
    expected = names(client().analyze(photo("chelsea", "PNG"), TAGS))
    for url in (str(path), path.as_uri()):
        assert names(client().analyze_from_url(image_url=url, visual_features=TAGS)) == expected
    assert names(client().analyze(io.BytesIO(photo("chelsea", "PNG")), TAGS)) == expected  # a stream works too


@pytest.mark.parametrize("data", [CORRUPT, b""], ids=["corrupt", "empty"])
def test_bad_image_bytes_raise_http_response_error(azure, data):
    with pytest.raises(HttpResponseError) as excinfo:
        client().analyze(data, TAGS)
    exc = excinfo.value
    assert type(exc) is HttpResponseError
    assert (exc.status_code, exc.reason) == (400, "Bad Request")
    assert exc.error.code == "InvalidRequest"
    assert exc.error.innererror["code"] == "InvalidImageFormat"
    assert "not a valid image" in exc.error.message
    assert exc.response.status_code == 400
    assert exc.__suppress_context__  # no chameleonapi exception in the chain


def test_urls_the_local_side_will_not_fetch(azure, no_sockets):
    with pytest.raises(HttpResponseError) as excinfo:
        client().analyze_from_url("https://example.com/cat.jpg", TAGS)
    exc = excinfo.value
    assert exc.status_code == 400 and exc.error.innererror["code"] == "InvalidImageUrl"
    assert "CHAMELEONAPI_ALLOW_NETWORK" in exc.error.message


@pytest.mark.parametrize("feature", [VisualFeatures.CAPTION, VisualFeatures.PEOPLE, VisualFeatures.READ])
def test_features_not_served_locally_name_themselves(azure, no_sockets, feature):
    with pytest.raises(HttpResponseError) as excinfo:
        client().analyze(photo("chelsea"), [VisualFeatures.TAGS, feature])
    exc = excinfo.value
    assert exc.status_code == 400 and exc.error.innererror["code"] == "NotSupportedVisualFeature"
    assert feature.value in exc.error.message and "CHAMELEONAPI_PASSTHROUGH" in exc.error.message


def test_passthrough_sends_what_is_not_served_to_the_real_sdk(azure, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_PASSTHROUGH", "1")
    with pytest.raises(ServiceRequestError):  # the original ran and found nobody at the endpoint
        client().analyze(photo("chelsea"), [VisualFeatures.CAPTION], retry_total=0)
    assert "cat" in names(client().analyze(photo("chelsea"), TAGS))


@pytest.mark.asyncio
async def test_async_client(azure):
    async with AsyncImageAnalysisClient(endpoint=OFFLINE_ENDPOINT, credential=AzureKeyCredential("k")) as aclient:
        result = await aclient.analyze(image_data=photo("chelsea"), visual_features=TAGS)
        assert isinstance(result, ImageAnalysisResult)
        assert "cat" in names(result)
        assert names(result) == names(client().analyze(photo("chelsea"), TAGS))
        pending = aclient.analyze(CORRUPT, TAGS)  # errors surface on await, as with the real client
        with pytest.raises(HttpResponseError) as excinfo:
            await pending
        assert excinfo.value.error.innererror["code"] == "InvalidImageFormat"


@pytest.mark.asyncio
async def test_async_analyze_from_url(azure, tmp_path, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_ALLOW_LOCAL_FILES", "1")
    path = tmp_path / "coffee.jpg"
    path.write_bytes(photo("coffee"))
    async with AsyncImageAnalysisClient(endpoint=OFFLINE_ENDPOINT, credential=AzureKeyCredential("k")) as aclient:
        result = await aclient.analyze_from_url(path.as_uri(), TAGS)
    assert {"coffee", "espresso"} & set(names(result))


def test_disable_restores_the_original_functions():
    from azure.ai.vision.imageanalysis import _patch as sync_module
    from azure.ai.vision.imageanalysis.aio import _patch as async_module

    classes = (sync_module.ImageAnalysisClient, async_module.ImageAnalysisClient)
    before = {(cls, name): vars(cls)[name] for cls in classes for name in ("analyze", "analyze_from_url")}
    chameleonapi.enable(["azure"])
    try:
        for (cls, name), original in before.items():
            assert vars(cls)[name] is not original
    finally:
        chameleonapi.disable()
    for (cls, name), original in before.items():
        assert vars(cls)[name] is original


def test_switched_off_by_environment(monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_AZURE_ENABLED", "0")
    try:
        assert "azure" not in chameleonapi.enable()
        assert "analyze" in vars(ImageAnalysisClient) and not chameleonapi.is_enabled("azure")
    finally:
        chameleonapi.disable()
