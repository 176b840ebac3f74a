"""Annotate requests → image bytes and features; labels and objects → proto-plus messages.

Errors are per image, as the service reports them: a `google.rpc.Status` in
`AnnotateImageResponse.error`, never an exception for the whole batch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from chameleonapi.imaging import ImageInputError, read_uri
from chameleonapi.services.google_vision.descriptor import DEFAULT_MAX_RESULTS, DESCRIPTOR, POLICY

__all__ = [
    "LOCAL_FEATURES",
    "add_label_annotations",
    "batch_request",
    "error",
    "feature_names",
    "image_bytes",
    "image_error",
    "negative_max_results",
    "object_annotations",
    "types_of",
    "unserved",
]

LOCAL_FEATURES = frozenset(DESCRIPTOR.operations)
INVALID_ARGUMENT = 3
PERMISSION_DENIED = 7
FAILED_PRECONDITION = 9
UNIMPLEMENTED = 12


_types: dict[str, Any] = {}


def types_of(version: str):
    """The `types` module of one API version (`vision_v1`, `vision_v1p3beta1`, ...), looked up
    once (asked twice on every call)."""
    found = _types.get(version)
    if found is None:
        found = _types[version] = importlib.import_module(f"google.cloud.{version}.types")
    return found


def batch_request(types, args: tuple, kwargs: dict):
    """The `BatchAnnotateImagesRequest` of a call, as the generated method builds it."""
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


def feature_names(types, image_request) -> list[tuple[str, int]]:
    """(feature name, max_results) per requested feature of an `AnnotateImageRequest` (its
    protobuf message or the proto-plus one); none means every feature."""
    features = _pb(types.AnnotateImageRequest, image_request).features
    if not features:
        return [(t.name, 0) for t in types.Feature.Type if t != 0]
    return [(types.Feature.Type(f.type_).name, f.max_results) for f in features]


def _pb(message_type, message):
    """The protobuf message of a proto-plus one (a protobuf message as it is)."""
    return message_type.pb(message) if isinstance(message, message_type) else message


def image_bytes(image) -> bytes:
    """The bytes of an `Image` (its protobuf message or the proto-plus one): its content, or
    what its source URI names (when allowed)."""
    if image.content:
        return image.content
    source = image.source
    if source.image_uri:
        return read_uri(source.image_uri, POLICY.max_bytes)
    if source.gcs_image_uri:
        return read_uri(source.gcs_image_uri, POLICY.max_bytes)
    raise ImageInputError(ImageInputError.BAD_DATA, "No image content or source was given.")


def error(code: int, message: str) -> dict:
    """A `google.rpc.Status` as a dict (proto-plus converts it on assignment)."""
    return {"code": code, "message": message}


def image_error(exc: ImageInputError) -> dict:
    """The per-image status the service gives for an image it cannot use."""
    if exc.kind == ImageInputError.UNREADABLE_URI:
        return error(PERMISSION_DENIED, str(exc))
    if exc.kind in (ImageInputError.BAD_DATA, ImageInputError.TOO_LARGE, ImageInputError.TOO_SMALL):
        return error(INVALID_ARGUMENT, "Bad image data.")
    return error(INVALID_ARGUMENT, str(exc))


def unserved(features: Sequence[str]) -> dict:
    """The status for features the local model does not serve, naming them."""
    return error(
        UNIMPLEMENTED,
        f"{', '.join(features)} is not served by the local model (chameleonapi serves "
        f"{', '.join(sorted(LOCAL_FEATURES))}); set CHAMELEONAPI_PASSTHROUGH=1 to send it to "
        "the Cloud Vision service.",
    )


def detector_unavailable(note: str) -> dict:
    return error(FAILED_PRECONDITION, note)


def negative_max_results(features: list[tuple[str, int]]) -> str | None:
    for name, limit in features:
        if limit < 0:
            return f"Invalid max_results {limit} for {name}: it must not be negative."
    return None


def add_label_annotations(types, response, labels: Sequence[tuple[str, float]], mid_of: Callable[[str], str]) -> None:
    """Append `EntityAnnotation`s for score-ordered labels to an `AnnotateImageResponse`
    (topicality is the score, as the service does; `mid` the label's Knowledge Graph MID, as
    `mid_of` gives it, when it has one). Written into the response's protobuf message: a
    proto-plus wrapper per label cost several times the answer itself."""
    annotations = types.AnnotateImageResponse.pb(response).label_annotations
    for label, score in labels:
        annotations.add(mid=mid_of(label), description=label, score=score, topicality=score)


def object_annotations(types, detections: Sequence[Any], limit: int) -> list:
    """`LocalizedObjectAnnotation`s: boxes as normalized vertices, clockwise from top left."""
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
    return annotations
