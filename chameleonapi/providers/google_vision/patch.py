"""Google Cloud Vision: `ImageAnnotatorClient.batch_annotate_images`, sync and async.

Every helper (`label_detection`, `annotate_image`, ...) ends in the generated
`batch_annotate_images`, so one patch per client class serves them all. The client's
`__init__` is wrapped too, so clients construct without cloud credentials while enabled.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from chameleonapi import config
from chameleonapi.imaging import GOOGLE, ImageInputError, decode_image, read_uri
from chameleonapi.providers.base import Instrumentor, Patch

logger = logging.getLogger("chameleonapi")

VERSIONS = ("vision_v1", "vision_v1p1beta1", "vision_v1p2beta1", "vision_v1p3beta1", "vision_v1p4beta1")
DEFAULT_MAX_RESULTS = 10
LOCAL_FEATURES = {"LABEL_DETECTION", "OBJECT_LOCALIZATION"}
INVALID_ARGUMENT = 3
PERMISSION_DENIED = 7
FAILED_PRECONDITION = 9
UNIMPLEMENTED = 12


def _types(version: str):
    return importlib.import_module(f"google.cloud.{version}.types")


def _wants_anonymous(kwargs: dict) -> bool:
    transport = kwargs.get("transport")
    if kwargs.get("credentials") is not None or (transport is not None and not isinstance(transport, str)):
        return False  # a transport instance carries its own credentials
    options = kwargs.get("client_options")
    if isinstance(options, dict):
        return not (options.get("api_key") or options.get("credentials_file"))
    if options is not None:
        return not (getattr(options, "api_key", None) or getattr(options, "credentials_file", None))
    return True


def _init_wrapper(wrapped, instance, args, kwargs):
    """Construct without cloud credentials (real ones are kept for pass-through)."""
    if _wants_anonymous(kwargs):
        from google.auth.credentials import AnonymousCredentials

        credentials = None
        if config.passthrough():
            import google.auth
            from google.auth.exceptions import DefaultCredentialsError

            try:
                credentials, _ = google.auth.default()
            except DefaultCredentialsError:
                credentials = None
        kwargs["credentials"] = credentials or AnonymousCredentials()
    return wrapped(*args, **kwargs)


def _batch_request(types, args, kwargs):
    request = args[0] if args else kwargs.get("request")
    requests = kwargs.get("requests")
    if request is not None and requests:
        raise ValueError(
            "If the `request` argument is set, then none of the individual field arguments should be set."
        )
    if not isinstance(request, types.BatchAnnotateImagesRequest):
        request = types.BatchAnnotateImagesRequest(request)
    if requests:
        request.requests.extend(requests)
    return request


def _feature_names(types, image_request) -> list[tuple[str, int]]:
    """(feature name, max_results) per requested feature; none means every feature."""
    if not image_request.features:
        return [(t.name, 0) for t in types.Feature.Type if t != 0]
    return [(types.Feature.Type(f.type_).name, f.max_results) for f in image_request.features]


def _image_bytes(image) -> bytes:
    if image.content:
        return image.content
    source = image.source
    if source.image_uri:
        return read_uri(source.image_uri, GOOGLE.max_bytes)
    if source.gcs_image_uri:
        return read_uri(source.gcs_image_uri, GOOGLE.max_bytes)
    raise ImageInputError(ImageInputError.BAD_DATA, "No image content or source was given.")


def _error(code: int, message: str) -> dict:
    return {"code": code, "message": message}


def _image_error(exc: ImageInputError) -> dict:
    """The per-image status the service gives for an image it cannot use."""
    if exc.kind == ImageInputError.UNREADABLE_URI:
        return _error(PERMISSION_DENIED, str(exc))
    if exc.kind in (ImageInputError.BAD_DATA, ImageInputError.TOO_LARGE, ImageInputError.TOO_SMALL):
        return _error(INVALID_ARGUMENT, "Bad image data.")
    return _error(INVALID_ARGUMENT, str(exc))


def _objects_local() -> bool:
    from chameleonapi.detection.service import objects_available

    return objects_available()


def _negative_max_results(features: list[tuple[str, int]]) -> str | None:
    for name, limit in features:
        if limit < 0:
            return f"Invalid max_results {limit} for {name}: it must not be negative."
    return None


def serve_batch(version: str, request, passthrough_call=None):
    """Answer a BatchAnnotateImagesRequest locally (pass-through for what we cannot serve)."""
    from chameleonapi import runtime

    types = _types(version)
    responses: list[Any] = [None] * len(request.requests)
    to_label: list[tuple[int, Any, int]] = []
    to_locate: list[tuple[int, Any, int]] = []
    forwarded: list[int] = []
    errors: list[str] = []
    for index, image_request in enumerate(request.requests):
        features = _feature_names(types, image_request)
        unsupported = [name for name, _ in features if name not in LOCAL_FEATURES]
        if (unsupported or any(name == "OBJECT_LOCALIZATION" for name, _ in features) and not _objects_local()) \
                and passthrough_call is not None and config.passthrough():
            forwarded.append(index)
            continue
        response = types.AnnotateImageResponse()
        responses[index] = response
        if unsupported:
            response.error = _error(
                UNIMPLEMENTED,
                f"{', '.join(unsupported)} is not served by the local model (chameleonapi serves "
                f"{', '.join(sorted(LOCAL_FEATURES))}); set CHAMELEONAPI_PASSTHROUGH=1 to send it to "
                "the Cloud Vision service.",
            )
        wanted = {name: m for name, m in reversed(features) if name in LOCAL_FEATURES}
        if not wanted:
            continue
        invalid = _negative_max_results(features)
        if invalid is not None:
            response.error = _error(INVALID_ARGUMENT, invalid)
            errors.append(invalid)
            continue
        try:
            image = decode_image(_image_bytes(image_request.image), GOOGLE).image
        except ImageInputError as exc:
            response.error = _image_error(exc)
            errors.append(response.error.message)
            continue
        if "LABEL_DETECTION" in wanted:
            to_label.append((index, image, wanted["LABEL_DETECTION"] or DEFAULT_MAX_RESULTS))
        if "OBJECT_LOCALIZATION" in wanted:
            to_locate.append((index, image, wanted["OBJECT_LOCALIZATION"]))
    if to_label:
        ranked = runtime.serve_labels(
            [image for _, image, _ in to_label],
            provider="google",
            method="batch_annotate_images",
            max_results=[limit for _, _, limit in to_label],
        )
        for (index, _, _), labels in zip(to_label, ranked):
            responses[index].label_annotations = [
                types.EntityAnnotation(description=label, score=score, topicality=score) for label, score in labels
            ]
    if to_locate:
        _locate(types, responses, to_locate)
    runtime.record_errors("google", "batch_annotate_images", errors)
    if forwarded:
        remote = passthrough_call([request.requests[i] for i in forwarded])
        for index, response in zip(forwarded, remote.responses):
            responses[index] = response
    return types.BatchAnnotateImagesResponse(responses=responses)


def _locate(types, responses: list, to_locate: list[tuple[int, Any, int]]) -> None:
    """Fill `localized_object_annotations` (boxes as normalized vertices, clockwise from top left)."""
    from chameleonapi import runtime
    from chameleonapi.detection.service import DetectorUnavailable

    try:
        found = runtime.serve_objects(
            [image for _, image, _ in to_locate], provider="google", method="batch_annotate_images"
        )
    except DetectorUnavailable as exc:
        for index, _, _ in to_locate:
            response = responses[index]
            note = f"OBJECT_LOCALIZATION: {exc}"
            if response.error.message:
                response.error.message = f"{response.error.message} {note}"
            else:
                response.error = _error(FAILED_PRECONDITION, note)
        return
    for (index, _, limit), detections in zip(to_locate, found):
        annotations = []
        for det in detections[: limit or DEFAULT_MAX_RESULTS]:
            x0, y0, x1, y1 = det.box
            corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
            annotations.append(
                types.LocalizedObjectAnnotation(
                    name=det.name,
                    score=det.score,
                    bounding_poly=types.BoundingPoly(
                        normalized_vertices=[types.NormalizedVertex(x=x, y=y) for x, y in corners]
                    ),
                )
            )
        responses[index].localized_object_annotations = annotations


def _sync_wrapper(version: str):
    def wrapper(wrapped, instance, args, kwargs):
        request = _batch_request(_types(version), args, kwargs)

        def passthrough(requests):
            return wrapped(requests=requests, retry=kwargs.get("retry"), timeout=kwargs.get("timeout"))

        return serve_batch(version, request, passthrough)

    return wrapper


def _async_wrapper(version: str):
    def wrapper(wrapped, instance, args, kwargs):
        request = _batch_request(_types(version), args, kwargs)

        async def run():
            import asyncio

            passthrough_results: dict[str, Any] = {}
            forwarded_requests: list[Any] = []

            def passthrough(requests):
                forwarded_requests.extend(requests)
                passthrough_results["pending"] = True
                return _types(version).BatchAnnotateImagesResponse(
                    responses=[_types(version).AnnotateImageResponse() for _ in requests]
                )

            from chameleonapi import runtime

            # The worker thread has no application frames: pin the caller's site for it.
            with runtime.pinned_call_site(runtime.find_call_site()):
                local = await asyncio.to_thread(serve_batch, version, request, passthrough)
            if forwarded_requests:
                remote = await wrapped(requests=forwarded_requests)
                remote_iter = iter(remote.responses)
                merged = []
                for image_request, response in zip(request.requests, local.responses):
                    merged.append(next(remote_iter) if image_request in forwarded_requests else response)
                return _types(version).BatchAnnotateImagesResponse(responses=merged)
            return local

        return run()

    return wrapper


class GoogleVisionInstrumentor(Instrumentor):
    """Serves Google Cloud Vision label detection and object localization from local models."""

    name = "google"
    distribution = "google-cloud-vision"
    supported = ("3.0", "4.0")

    def patches(self) -> list[Patch]:
        patches = []
        for version in VERSIONS:
            base = f"google.cloud.{version}.services.image_annotator"
            patches += [
                Patch(f"{base}.client", "ImageAnnotatorClient.__init__", _init_wrapper),
                Patch(f"{base}.client", "ImageAnnotatorClient.batch_annotate_images", _sync_wrapper(version)),
                Patch(f"{base}.async_client", "ImageAnnotatorAsyncClient.batch_annotate_images", _async_wrapper(version)),
            ]
        return patches
