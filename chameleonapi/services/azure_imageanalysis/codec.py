"""Image Analysis requests → features; tags and objects → `ImageAnalysisResult`; errors.

Results are `ImageAnalysisResult(<REST JSON>)`, exactly what the SDK deserializes from the
service; errors are azure-core's `HttpResponseError` around a real REST response carrying
the service's error body.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chameleonapi.errors import ServiceError
from chameleonapi.services.azure import codec as shared
from chameleonapi.services.azure.codec import LocalImage
from chameleonapi.services.azure_imageanalysis.descriptor import DESCRIPTOR

__all__ = ["API_VERSION", "http_error", "objects_json", "refusal", "result", "wanted"]

API_VERSION = "2023-10-01"
MODEL_VERSION = "2023-10-01"  # what the service reports for "latest"
SERVED_FEATURES = frozenset(DESCRIPTOR.operations)


def wanted(arguments: dict[str, Any]) -> set[str]:
    """The requested visual features, lower case."""
    return {shared.feature_name(f).lower() for f in arguments.get("visual_features") or ()}


def refusal(arguments: dict[str, Any]) -> ServiceError | None:
    """Why the local model cannot answer this call, or None when it can."""
    features = arguments.get("visual_features")
    if not features:
        return shared.invalid("InvalidParameter", "At least one visual feature must be specified.")
    unsupported = [shared.feature_name(f) for f in features if shared.feature_name(f).lower() not in SERVED_FEATURES]
    if unsupported:
        return shared.not_served(f"Visual feature(s) {', '.join(unsupported)}")
    return shared.check_language(arguments.get("language"))


def objects_json(image: LocalImage, detections: Sequence[Any]) -> dict:
    """`ImageAnalysisResult.objects` (`objectsResult`) as REST JSON."""
    values = []
    for det in detections:
        values.append(
            {
                "boundingBox": shared.rect(det.box, image.width, image.height),
                "tags": [{"name": DESCRIPTOR.style(det.name), "confidence": round(det.score, 3)}],
            }
        )
    return {"values": values}


def result(arguments: dict[str, Any], image: LocalImage, tags: list[tuple[str, float]] | None, objects: dict | None):
    """The `ImageAnalysisResult` the service would send for these tags and objects: equal to
    `ImageAnalysisResult(<REST JSON>)`, what the SDK deserializes from the service, but made
    with the models' keyword constructors (`tests/providers/test_sdk_models.py`)."""
    from azure.ai.vision.imageanalysis import models

    model_version = arguments.get("model_version") or "latest"
    return _model(
        models.ImageAnalysisResult,
        model_version=MODEL_VERSION if model_version == "latest" else model_version,
        metadata=_model(models.ImageMetadata, width=image.width, height=image.height),
        tags=None if tags is None else _model(
            models.TagsResult, list=[_model(models.DetectedTag, name=name, confidence=score) for name, score in tags]),
        objects=None if objects is None else _model(models.ObjectsResult, objects),
    )


def _model(cls: type, *args: Any, **kwargs: Any):
    """`cls(*args, **kwargs)`. This SDK's `Model.__new__` works out the class's table of REST
    fields again for every instance (most of an answer's cost: eleven models for eight
    tags); once the class holds it, the instance is made by `object.__new__` and initialised by
    the model's own `__init__`, the same object."""
    if "_attr_to_rest_field" not in cls.__dict__:
        return cls(*args, **kwargs)
    instance: Any = object.__new__(cls)
    instance.__init__(*args, **kwargs)
    return instance


def http_error(error: ServiceError, url: str, req_id: str):
    """azure-core's HttpResponseError over a REST response with the service's error body:
    the one place this SDK's exception is made."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest
    from azure.core.rest._requests_basic import RestRequestsTransportResponse

    internal = shared.error_response(error, url, req_id)
    response = RestRequestsTransportResponse(request=HttpRequest("POST", url), internal_response=internal)
    response.read()
    return HttpResponseError(response=response)
