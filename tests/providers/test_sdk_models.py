"""The Azure SDKs' answer objects, built directly, equal what each SDK deserializes from the REST JSON.

Served answers are made with the SDK models' own constructors (cheaper than the SDKs'
generic deserializers); these tests hold them to the deserializers' result, field by field,
on the bodies the codecs write, read-only fields included.
"""

from __future__ import annotations

import inspect

import pytest

from chameleonapi.detection.model import Detection
from chameleonapi.services.azure.codec import LocalImage

IMAGE = LocalImage(image=None, width=640, height=480, format="Jpeg")
TAGS = [("cat", 0.998), ("mammal", 0.97), ("tabby cat", 0.61), ("indoor", 0.1000001)]
DETECTIONS = [Detection(15, "cat", 0.91, (0.1, 0.2, 0.6, 0.9)), Detection(2, "car", 0.55, (0.0, 0.0, 1.0, 0.5))]


def _cv():
    pytest.importorskip("azure.cognitiveservices.vision.computervision")
    from azure.cognitiveservices.vision.computervision import models

    from chameleonapi.services.azure_computervision import codec

    return models, codec


def _same_msrest(a, b) -> None:
    """Equal as msrest compares models (their attributes, recursively), and of the same classes."""
    assert type(a) is type(b)
    assert a == b
    assert a.serialize(keep_readonly=True) == b.serialize(keep_readonly=True)


@pytest.mark.parametrize(
    ("method", "arguments", "tags", "detections"),
    [
        ("tag_image_in_stream", {}, TAGS, None),
        ("tag_image", {"model_version": "2021-04-01"}, [], None),
        ("analyze_image", {"visual_features": ["Tags", "Categories", "Objects"]}, TAGS, DETECTIONS),
        ("analyze_image_in_stream", {"visual_features": ["Categories"]}, [("cat", 0.2)], None),
        ("detect_objects_in_stream", {}, None, DETECTIONS),
        ("detect_objects", {}, None, []),
    ],
)
def test_computer_vision_models_equal_msrest_deserialization(method, arguments, tags, detections):
    models, codec = _cv()
    name, body = codec.body(method, arguments, IMAGE, "req-1", tags, detections)
    built = codec.response_model(name, body)
    _same_msrest(built, models.__dict__[name].deserialize(body))
    if detections:
        first = built.objects[0]  # read-only fields, which the constructors alone would drop
        assert (first.rectangle.x, first.rectangle.w) == (64, 320)
        assert first.parent.object_property == "mammal" and first.parent.parent.object_property == "animal"


def test_computer_vision_json_outside_an_answer_goes_to_msrest():
    models, codec = _cv()
    body = {"requestId": "r", "tags": [{"name": "cat", "confidence": "0.5", "hint": None}],
            "metadata": {"width": 3, "height": 4, "format": "Png"}, "somethingNew": {"a": 1}}
    built = codec.response_model("TagResult", body)
    _same_msrest(built, models.TagResult.deserialize(body))
    assert built.tags[0].confidence == 0.5
    assert built.additional_properties == {"somethingNew": {"a": 1}}


@pytest.mark.parametrize("with_tags", [True, False])
@pytest.mark.parametrize("with_objects", [True, False])
def test_image_analysis_result_equals_the_sdk_deserialization(with_tags, with_objects):
    pytest.importorskip("azure.ai.vision.imageanalysis")
    from azure.ai.vision.imageanalysis.models import DetectedTag, ImageAnalysisResult

    from chameleonapi.services.azure_imageanalysis import codec

    tags = TAGS if with_tags else None
    objects = codec.objects_json(IMAGE, DETECTIONS) if with_objects else None
    body = {"modelVersion": codec.MODEL_VERSION, "metadata": {"width": IMAGE.width, "height": IMAGE.height}}
    if tags is not None:
        body["tagsResult"] = {"values": [{"name": n, "confidence": s} for n, s in tags]}
    if objects is not None:
        body["objectsResult"] = objects
    expected = ImageAnalysisResult(body)
    for _ in range(2):  # the first instance of each class, then the ones made after it
        built = codec.result({}, IMAGE, tags, objects)
        assert type(built) is ImageAnalysisResult
        assert built == expected and built.as_dict() == expected.as_dict()
        assert built.metadata.width == IMAGE.width
        if with_tags:
            assert all(type(tag) is DetectedTag for tag in built.tags.list)
            assert [(t.name, t.confidence) for t in built.tags.list] == TAGS
        else:
            assert built.tags is None
        if with_objects:
            assert built.objects.list[0].bounding_box.width == 320
            assert built.objects.list[0].tags[0].name == "cat"
        else:
            assert built.objects is None


def test_call_arguments_bound_as_the_signature_binds():
    """Both Azure SDKs' methods (plain parameters, keyword-only ones, `**kwargs`), bound by
    the patches' direct binder, give what `Signature.bind` + `apply_defaults` gives, and the
    calls the method would refuse raise its TypeError."""
    pytest.importorskip("azure.cognitiveservices.vision.computervision")
    pytest.importorskip("azure.ai.vision.imageanalysis")
    from azure.ai.vision.imageanalysis import ImageAnalysisClient
    from azure.cognitiveservices.vision.computervision import ComputerVisionClient
    from azure.core.credentials import AzureKeyCredential
    from msrest.authentication import CognitiveServicesCredentials

    from chameleonapi.patches.base import bind_call

    cv = ComputerVisionClient("http://127.0.0.1:9", CognitiveServicesCredentials("key"))
    ia = ImageAnalysisClient(endpoint="http://127.0.0.1:9", credential=AzureKeyCredential("key"))
    stream = object()
    cases = {
        cv.tag_image_in_stream: (
            [((stream,), {}), ((), {"image": stream}), ((stream, "en"), {"raw": True}),
             ((stream,), {"model_version": "2021-04-01", "timeout": 3, "headers": {"x": "1"}}),
             ((stream, "en", "latest", None, False, None), {})],
            [((), {}), ((stream,), {"image": stream}), ((stream,) * 7, {})],
        ),
        ia.analyze: (
            [((b"x", ["TAGS"]), {}), ((b"x",), {"visual_features": ["TAGS"], "language": "en"}),
             ((), {"image_data": b"x", "visual_features": [], "model_version": "latest", "logging_enable": True})],
            [((b"x",), {}), ((b"x", ["TAGS"], "en"), {}), ((b"x", ["TAGS"]), {"image_data": b"y"})],
        ),
    }
    for method, (good, bad) in cases.items():
        signature = inspect.signature(method)
        for _ in range(2):  # the first call makes the table, the second uses it
            for args, kwargs in good:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                assert bind_call(method, args, kwargs) == dict(bound.arguments)
            for args, kwargs in bad:
                with pytest.raises(TypeError):
                    bind_call(method, args, kwargs)
