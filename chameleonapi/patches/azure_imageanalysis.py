"""Where the Image Analysis SDK is hooked: `ImageAnalysisClient.analyze` and `analyze_from_url`.

The public `ImageAnalysisClient` (sync and `.aio`) is the `_patch` subclass that defines both
methods, so that class is wrapped.
"""

from __future__ import annotations

import inspect
from typing import Any

from chameleonapi import config
from chameleonapi.errors import ServiceError
from chameleonapi.patches import azure
from chameleonapi.patches.base import Patch, bind_call
from chameleonapi.services.azure import codec as shared
from chameleonapi.services.azure_imageanalysis import codec
from chameleonapi.services.azure_imageanalysis.descriptor import DESCRIPTOR, POLICY

__all__ = ["patches", "serve"]

SYNC_MODULE = "azure.ai.vision.imageanalysis._patch"
ASYNC_MODULE = "azure.ai.vision.imageanalysis.aio._patch"


def _check_call(wrapped, args: tuple, kwargs: dict) -> None:
    """A call the SDK method itself would refuse (e.g. no `visual_features`) raises its TypeError."""
    try:
        bind_call(wrapped, args, kwargs)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, TypeError) and _binds(wrapped):
            raise
        # a C or odd callable whose signature cannot be read: nothing to check


def _binds(wrapped) -> bool:
    """Whether `wrapped` has a signature to check calls against."""
    try:
        inspect.signature(wrapped)
    except (TypeError, ValueError):  # pragma: no cover
        return False
    return True


def _arguments(method: str, args: tuple, kwargs: dict) -> dict[str, Any]:
    """Positional and keyword arguments by name (both methods take the image, then the features)."""
    first = "image_url" if method == "analyze_from_url" else "image_data"
    arguments = dict(kwargs)
    for name, value in zip((first, "visual_features"), args):
        arguments[name] = value
    return arguments


def _endpoint(instance) -> str:
    endpoint = getattr(getattr(instance, "_config", None), "endpoint", "") or ""
    return f"{str(endpoint).rstrip('/')}/computervision/imageanalysis:analyze?api-version={codec.API_VERSION}"


def serve(method: str, arguments: dict[str, Any], url: str):
    """Answer one call locally: an ImageAnalysisResult, or raise HttpResponseError."""
    req_id = shared.request_id()
    try:
        refusal = codec.refusal(arguments)
        if refusal is not None:
            raise refusal
        if method == "analyze_from_url":
            data = shared.image_from_url(arguments.get("image_url"), POLICY)
        else:
            data = shared.read_stream(arguments.get("image_data", b""))
        image = shared.load_image(data, POLICY)
        wanted = codec.wanted(arguments)
        tags = azure.rank_tags([image], DESCRIPTOR, method)[0] if "tags" in wanted else None
        detections = azure.detect([image], DESCRIPTOR, method)[0] if "objects" in wanted else None
        objects = codec.objects_json(image, detections) if detections is not None else None
    except ServiceError as error:
        azure.record_error(DESCRIPTOR, method, error)
        raise codec.http_error(error, url, req_id) from None
    return codec.result(arguments, image, tags, objects)


def _wrapper(method: str, asynchronous: bool = False):
    """Wrap one client method; the async client's answers a coroutine, served in a worker thread."""

    def wrapper(wrapped, instance, args, kwargs):
        _check_call(wrapped, args, kwargs)
        arguments = _arguments(method, args, kwargs)
        if config.passthrough() and codec.refusal(arguments) is not None:
            return wrapped(*args, **kwargs)
        url = _endpoint(instance)
        if not asynchronous:
            return serve(method, arguments, url)

        async def run():
            import asyncio

            # Read the image here: a stream belongs to the caller's thread.
            if method == "analyze" and hasattr(arguments.get("image_data"), "read"):
                try:
                    arguments["image_data"] = shared.read_stream(arguments["image_data"])
                except ServiceError as error:
                    azure.record_error(DESCRIPTOR, method, error)
                    raise codec.http_error(error, url, shared.request_id()) from None
            from chameleonapi import runtime

            # The worker thread has no application frames: pin the caller's site for it.
            with runtime.pinned_call_site(runtime.find_call_site()):
                return await asyncio.to_thread(serve, method, arguments, url)

        return run()

    return wrapper


def patches() -> list[Patch]:
    return [
        Patch(module, f"ImageAnalysisClient.{method}", _wrapper(method, module == ASYNC_MODULE))
        for module in (SYNC_MODULE, ASYNC_MODULE) for method in ("analyze", "analyze_from_url")
    ]
