"""Where the Computer Vision SDK is hooked: each operation of `ComputerVisionClientOperationsMixin`.

The legacy client has no single choke point: each operation sends its own request, so each
method of the class that defines them is wrapped.
"""

from __future__ import annotations

from chameleonapi import config
from chameleonapi.errors import ServiceError
from chameleonapi.patches import azure
from chameleonapi.patches.base import Patch, bind_call
from chameleonapi.services.azure import codec as shared
from chameleonapi.services.azure_computervision import codec
from chameleonapi.services.azure_computervision.descriptor import DESCRIPTOR, POLICY

__all__ = ["METHODS", "patches"]

MODULE = "azure.cognitiveservices.vision.computervision.operations._computer_vision_client_operations"
MIXIN = "ComputerVisionClientOperationsMixin"
METHODS = {  # method -> its REST path (for the response URL)
    "tag_image": "/tag",
    "tag_image_in_stream": "/tag",
    "analyze_image": "/analyze",
    "analyze_image_in_stream": "/analyze",
    "detect_objects": "/detect",
    "detect_objects_in_stream": "/detect",
}

def _wrapper(method: str, path: str):
    """Wrap one Computer Vision operation."""
    from_stream = method.endswith("_in_stream")

    def wrapper(wrapped, instance, args, kwargs):
        arguments = bind_call(wrapped, args, kwargs)
        refusal = codec.refusal(method, arguments)
        if refusal is not None and config.passthrough():
            return wrapped(*args, **kwargs)
        endpoint = str(getattr(getattr(instance, "config", None), "endpoint", "") or "").rstrip("/")
        url = f"{endpoint}/vision/v3.2{path}"
        req_id = shared.request_id()
        try:
            if refusal is not None:
                raise refusal
            if from_stream:
                data = shared.read_stream(arguments["image"])
            else:
                data = shared.image_from_url(arguments["url"], POLICY)
            image = shared.load_image(data, POLICY)
            want_tags, want_objects = codec.wanted(method, arguments)
            tags = azure.rank_tags([image], DESCRIPTOR, method)[0] if want_tags else None
            detections = azure.detect([image], DESCRIPTOR, method)[0] if want_objects else None
            model_name, body = codec.body(method, arguments, image, req_id, tags, detections)
        except ServiceError as error:
            azure.record_error(DESCRIPTOR, method, error)
            codec.raise_error(instance, method, error, url, req_id)
        result = codec.response_model(model_name, body)
        if arguments.get("raw"):
            from msrest.pipeline import ClientRawResponse

            return ClientRawResponse(result, shared.http_response(200, body, url, req_id))
        return result

    return wrapper


def patches() -> list[Patch]:
    return [Patch(MODULE, f"{MIXIN}.{method}", _wrapper(method, path)) for method, path in METHODS.items()]
