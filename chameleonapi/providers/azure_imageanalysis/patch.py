"""Azure Image Analysis 4.0 (azure-ai-vision-imageanalysis): `analyze` and `analyze_from_url`.

The public `ImageAnalysisClient` (sync and `.aio`) is the `_patch` subclass that defines both
methods, so that class is wrapped. Results are `ImageAnalysisResult(<REST JSON>)`, exactly
what the SDK deserializes from the service; errors are azure-core's `HttpResponseError`
around a real REST response carrying the service's error body.
"""

from __future__ import annotations

import inspect
from typing import Any

from chameleonapi import config
from chameleonapi.imaging import AZURE_IA
from chameleonapi.providers import azure as shared
from chameleonapi.providers.azure import ServiceError
from chameleonapi.providers.base import Patch

SYNC_MODULE = "azure.ai.vision.imageanalysis._patch"
ASYNC_MODULE = "azure.ai.vision.imageanalysis.aio._patch"
API_VERSION = "2023-10-01"
MODEL_VERSION = "2023-10-01"  # what the service reports for "latest"
SERVED_FEATURES = {"tags", "objects"}


def _feature_name(feature: Any) -> str:
    return str(getattr(feature, "value", feature))


def _check_call(wrapped, args: tuple, kwargs: dict) -> None:
    """A call the SDK method itself would refuse (e.g. no `visual_features`) raises its TypeError."""
    try:
        signature = inspect.signature(wrapped)
    except (TypeError, ValueError):  # pragma: no cover - a C or odd callable: nothing to check
        return
    signature.bind(*args, **kwargs)


def _arguments(method: str, args: tuple, kwargs: dict) -> dict[str, Any]:
    """Positional and keyword arguments by name (both methods take the image, then the features)."""
    first = "image_url" if method == "analyze_from_url" else "image_data"
    arguments = dict(kwargs)
    for name, value in zip((first, "visual_features"), args):
        arguments[name] = value
    return arguments


def _refusal(arguments: dict[str, Any]) -> ServiceError | None:
    features = arguments.get("visual_features")
    if not features:
        return ServiceError(
            400, "InvalidRequest", "InvalidParameter", "At least one visual feature must be specified."
        )
    unsupported = [_feature_name(f) for f in features if _feature_name(f).lower() not in SERVED_FEATURES]
    if unsupported:
        return shared.not_served(f"Visual feature(s) {', '.join(unsupported)}")
    return shared.check_language(arguments.get("language"))


def _endpoint(instance) -> str:
    endpoint = getattr(getattr(instance, "_config", None), "endpoint", "") or ""
    return f"{str(endpoint).rstrip('/')}/computervision/imageanalysis:analyze?api-version={API_VERSION}"


def serve(method: str, arguments: dict[str, Any], url: str):
    """Answer one call locally: an ImageAnalysisResult, or raise HttpResponseError."""
    from azure.ai.vision.imageanalysis.models import ImageAnalysisResult

    req_id = shared.request_id()
    try:
        refusal = _refusal(arguments)
        if refusal is not None:
            raise refusal
        if method == "analyze_from_url":
            data = shared.image_from_url(arguments.get("image_url"), AZURE_IA)
        else:
            data = shared.read_stream(arguments.get("image_data", b""))
        image = shared.load_image(data, AZURE_IA)
        wanted = {_feature_name(f).lower() for f in arguments.get("visual_features")}
        tags = shared.rank_tags([image], method)[0] if "tags" in wanted else None
        objects = None
        if "objects" in wanted:
            from chameleonapi.detection.azure_json import image_analysis_objects

            objects = image_analysis_objects(image, method)
    except ServiceError as error:
        shared.record_error(method, error)
        raise _http_error(error, url, req_id) from None
    model_version = arguments.get("model_version") or "latest"
    body: dict[str, Any] = {
        "modelVersion": MODEL_VERSION if model_version == "latest" else model_version,
        "metadata": {"width": image.width, "height": image.height},
    }
    if tags is not None:
        body["tagsResult"] = {"values": [{"name": name, "confidence": score} for name, score in tags]}
    if objects is not None:
        body["objectsResult"] = objects
    return ImageAnalysisResult(body)


def _http_error(error: ServiceError, url: str, req_id: str):
    """azure-core's HttpResponseError over a REST response with the service's error body."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest
    from azure.core.rest._requests_basic import RestRequestsTransportResponse

    internal = shared.http_response(error.status, error.body(), url, req_id)
    response = RestRequestsTransportResponse(request=HttpRequest("POST", url), internal_response=internal)
    response.read()
    return HttpResponseError(response=response)


def _sync_wrapper(method: str):
    def wrapper(wrapped, instance, args, kwargs):
        _check_call(wrapped, args, kwargs)
        arguments = _arguments(method, args, kwargs)
        if config.passthrough() and _refusal(arguments) is not None:
            return wrapped(*args, **kwargs)
        return serve(method, arguments, _endpoint(instance))

    return wrapper


def _async_wrapper(method: str):
    def wrapper(wrapped, instance, args, kwargs):
        _check_call(wrapped, args, kwargs)
        arguments = _arguments(method, args, kwargs)
        if config.passthrough() and _refusal(arguments) is not None:
            return wrapped(*args, **kwargs)
        url = _endpoint(instance)

        async def run():
            import asyncio

            # Read the image here: a stream belongs to the caller's thread.
            if method == "analyze" and hasattr(arguments.get("image_data"), "read"):
                try:
                    arguments["image_data"] = shared.read_stream(arguments["image_data"])
                except ServiceError as error:
                    shared.record_error(method, error)
                    raise _http_error(error, url, shared.request_id()) from None
            from chameleonapi import runtime

            # The worker thread has no application frames: pin the caller's site for it.
            with runtime.pinned_call_site(runtime.find_call_site()):
                return await asyncio.to_thread(serve, method, arguments, url)

        return run()

    return wrapper


def patches() -> list[Patch]:
    return [
        Patch(SYNC_MODULE, "ImageAnalysisClient.analyze", _sync_wrapper("analyze")),
        Patch(SYNC_MODULE, "ImageAnalysisClient.analyze_from_url", _sync_wrapper("analyze_from_url")),
        Patch(ASYNC_MODULE, "ImageAnalysisClient.analyze", _async_wrapper("analyze")),
        Patch(ASYNC_MODULE, "ImageAnalysisClient.analyze_from_url", _async_wrapper("analyze_from_url")),
    ]
