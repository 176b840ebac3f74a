"""Azure object detection served by the local detector through the unchanged SDKs."""

from __future__ import annotations

import io

import pytest
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from azure.cognitiveservices.vision.computervision.models import (
    BoundingRect,
    ComputerVisionErrorResponseException,
    DetectedObject,
    DetectResult,
    ImageAnalysis,
    VisualFeatureTypes,
)
from msrest.authentication import CognitiveServicesCredentials
from msrest.pipeline import ClientRawResponse

import chameleonapi
from chameleonapi.detection import scenes
from chameleonapi.detection.policy import REPORT_FLOOR
from chameleonapi.serving.calls import object_resolver
from tests.detection.helpers import silhouette_detector, tiny_generic  # noqa: F401  (autouse fixture)
from tests.images import CORRUPT

OFFLINE_ENDPOINT = "http://127.0.0.1:9"
LOWER_NAMES = {n.lower() for n in scenes.NAMES}


@pytest.fixture
def azure():
    tiny_generic()
    object_resolver.reset()
    chameleonapi.enable(["azure"])
    yield
    chameleonapi.disable()
    object_resolver.reset()


def cv_client() -> ComputerVisionClient:
    return ComputerVisionClient(OFFLINE_ENDPOINT, CognitiveServicesCredentials("any-key"))


def busy_scene_png(upscale: int = 1) -> tuple[bytes, scenes.DetScene]:
    from PIL import Image

    scene = next(s for s in scenes.sample_scenes("test", 80, seed=2) if len(s.classes) >= 3)
    image = Image.fromarray(scenes.render(scene)).resize((128 * upscale, 96 * upscale))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue(), scene


def check_objects(objects, width: int, height: int) -> None:
    assert objects, "a scene with three animals gives some object"
    confidences = [o.confidence for o in objects]
    assert confidences == sorted(confidences, reverse=True) and min(confidences) >= REPORT_FLOOR - 1e-3
    for obj in objects:
        assert isinstance(obj, DetectedObject) and isinstance(obj.rectangle, BoundingRect)
        assert obj.object_property in LOWER_NAMES
        r = obj.rectangle
        assert 0 <= r.x and 0 <= r.y and r.w > 0 and r.h > 0 and r.x + r.w <= width and r.y + r.h <= height
        assert obj.parent is not None and obj.parent.object_property in ("mammal", "animal")


def test_detect_objects_in_stream_gives_detect_result_in_pixels(azure):
    png, _ = busy_scene_png(upscale=3)
    result = cv_client().detect_objects_in_stream(io.BytesIO(png))
    assert isinstance(result, DetectResult)
    assert (result.metadata.width, result.metadata.height) == (384, 288)
    check_objects(result.objects, 384, 288)


def test_detect_objects_from_a_file_url_and_raw_response(azure, tmp_path, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_ALLOW_LOCAL_FILES", "1")
    png, _ = busy_scene_png()
    path = tmp_path / "scene.png"
    path.write_bytes(png)
    raw = cv_client().detect_objects(path.as_uri(), raw=True)
    assert isinstance(raw, ClientRawResponse) and isinstance(raw.output, DetectResult)
    check_objects(raw.output.objects, 128, 96)


def test_analyze_image_serves_objects_with_tags(azure):
    png, _ = busy_scene_png()
    analysis = cv_client().analyze_image_in_stream(
        io.BytesIO(png), visual_features=[VisualFeatureTypes.objects, VisualFeatureTypes.tags]
    )
    assert isinstance(analysis, ImageAnalysis)
    check_objects(analysis.objects, 128, 96)
    assert analysis.tags


def test_corrupt_image_is_the_sdk_error(azure):
    with pytest.raises(ComputerVisionErrorResponseException) as excinfo:
        cv_client().detect_objects_in_stream(io.BytesIO(CORRUPT))
    assert excinfo.value.response.status_code == 400


def test_image_analysis_objects(azure):
    from azure.ai.vision.imageanalysis import ImageAnalysisClient
    from azure.ai.vision.imageanalysis.models import ImageAnalysisResult, VisualFeatures
    from azure.core.credentials import AzureKeyCredential

    png, _ = busy_scene_png(upscale=2)
    client = ImageAnalysisClient(endpoint=OFFLINE_ENDPOINT, credential=AzureKeyCredential("k"))
    result = client.analyze(png, [VisualFeatures.OBJECTS])
    assert isinstance(result, ImageAnalysisResult)
    assert result.objects.list and result.tags is None
    for obj in result.objects.list:
        box = obj.bounding_box
        assert obj.tags[0].name in LOWER_NAMES and obj.tags[0].confidence >= REPORT_FLOOR - 1e-3
        assert box.x >= 0 and box.y >= 0 and box.x + box.width <= 256 and box.y + box.height <= 192
