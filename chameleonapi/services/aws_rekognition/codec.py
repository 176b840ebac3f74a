"""DetectLabels request → image bytes and options; labels → the service's response; errors.

The response is the plain dict botocore's parser would return (the shape of the service
model's `DetectLabelsResponse`, plus `ResponseMetadata`); errors are `chameleonapi.errors.ServiceError`s
that `patch` raises as the client's own modeled exception classes
(`client.exceptions.InvalidImageFormatException`, ...).
"""

from __future__ import annotations

import email.utils
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from chameleonapi.errors import ServiceError
from chameleonapi.imaging import ImageInputError
from chameleonapi.services.aws_rekognition.descriptor import (
    DEFAULT_MIN_CONFIDENCE,
    DESCRIPTOR,
    LABEL_MODEL_VERSION,
    MAX_LABELS,
)

__all__ = [
    "DetectLabelsRequest",
    "error_response",
    "image_error",
    "labels_response",
    "not_served",
    "read_request",
]

INVALID_PARAMETERS = "Request has invalid parameters"
INVALID_FORMAT = "Request has invalid image format"
TOO_LARGE = "Image size is too large."


def not_served(what: str) -> ServiceError:
    return ServiceError(
        "AccessDeniedException",
        f"{what} is not served by the local model (chameleonapi serves DetectLabels on image bytes); "
        "set CHAMELEONAPI_PASSTHROUGH=1 to send it to Amazon Rekognition.",
        refused=True,
    )


@dataclass(frozen=True)
class DetectLabelsRequest:
    """What a DetectLabels call asks for, checked as the service checks it."""

    image: bytes
    max_labels: int = MAX_LABELS
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()


def _bytes_of(data: Any) -> bytes:
    """A blob as botocore accepts it: bytes, bytearray, str (sent UTF-8) or a readable file."""
    if hasattr(data, "read"):
        data = data.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ServiceError("InvalidParameterException", INVALID_PARAMETERS)
    return bytes(data)


def _names(values: Any) -> frozenset[str]:
    return frozenset(str(v).casefold() for v in values or ())


def read_request(params: Mapping[str, Any]) -> DetectLabelsRequest:
    """Check `params` (already validated against the service model when the client validates)."""
    image = params.get("Image") or {}
    features = list(params.get("Features") or ["GENERAL_LABELS"])
    unserved = [f for f in features if f != "GENERAL_LABELS"]
    if unserved:
        raise not_served(f"Feature(s) {', '.join(map(str, unserved))}")
    general = (params.get("Settings") or {}).get("GeneralLabels") or {}
    categories = [k for k in ("LabelCategoryInclusionFilters", "LabelCategoryExclusionFilters") if general.get(k)]
    if categories:
        raise not_served(f"Settings.GeneralLabels.{' and '.join(categories)}")
    if "S3Object" in image and "Bytes" not in image:
        obj = image["S3Object"] or {}
        raise ServiceError(
            "InvalidS3ObjectException",
            f"S3 object s3://{obj.get('Bucket', '')}/{obj.get('Name', '')} cannot be read locally: chameleonapi "
            "answers DetectLabels from Image={'Bytes': ...}; set CHAMELEONAPI_PASSTHROUGH=1 to send it to "
            "Amazon Rekognition.",
            refused=True,
        )
    if ("S3Object" in image) == ("Bytes" in image):
        raise ServiceError("InvalidParameterException", INVALID_PARAMETERS)
    max_labels = params.get("MaxLabels", MAX_LABELS)
    min_confidence = params.get("MinConfidence", DEFAULT_MIN_CONFIDENCE)
    if not isinstance(max_labels, int) or isinstance(max_labels, bool) or max_labels < 0:
        raise ServiceError("InvalidParameterException", INVALID_PARAMETERS)
    if not isinstance(min_confidence, (int, float)) or isinstance(min_confidence, bool) or not 0 <= min_confidence <= 100:
        raise ServiceError("InvalidParameterException", INVALID_PARAMETERS)
    return DetectLabelsRequest(
        image=_bytes_of(image["Bytes"]),
        max_labels=min(max_labels, MAX_LABELS),
        min_confidence=float(min_confidence),
        include=_names(general.get("LabelInclusionFilters")),
        exclude=_names(general.get("LabelExclusionFilters")),
    )


def image_error(exc: ImageInputError) -> ServiceError:
    """The service's answer to an image it cannot use."""
    if exc.kind in (ImageInputError.TOO_MANY_BYTES, ImageInputError.TOO_LARGE):
        return ServiceError("ImageTooLargeException", f"{TOO_LARGE} {exc}")
    if exc.kind == ImageInputError.TOO_SMALL:
        return ServiceError("InvalidParameterException", f"{INVALID_PARAMETERS}: {exc}")
    return ServiceError("InvalidImageFormatException", INVALID_FORMAT)


def _metadata(status: int, body: str) -> dict:
    request_id = str(uuid.uuid4())
    return {
        "RequestId": request_id,
        "HTTPStatusCode": status,
        "HTTPHeaders": {
            "x-amzn-requestid": request_id,
            "content-type": "application/x-amz-json-1.1",
            "content-length": str(len(body.encode("utf-8"))),
            "date": email.utils.formatdate(usegmt=True),
        },
        "RetryAttempts": 0,
    }


def _box(det: Any) -> dict:
    """Rekognition's `BoundingBox`: Width, Height, Left, Top as ratios of the image."""
    x0, y0, x1, y1 = det.box
    return {"Width": x1 - x0, "Height": y1 - y0, "Left": x0, "Top": y0}


def _with_objects(labels: Sequence[tuple[str, float]], objects: Sequence[Any]) -> list[tuple[str, float]]:
    """The labels with each detected class among them, at least as confident as its best
    instance (as Rekognition reports them), in score order."""
    best: dict[str, tuple[str, float]] = {}
    for det in objects:
        key = det.name.casefold()
        if det.score > best.get(key, ("", 0.0))[1]:
            best[key] = (det.name, det.score)
    if not best:
        return list(labels)
    merged = [(label, max(score, best.pop(label.casefold(), ("", 0.0))[1])) for label, score in labels]
    return sorted([*merged, *best.values()], key=lambda kv: -kv[1])


@lru_cache(maxsize=4096)
def _entry(label: str, parents_of: Callable[[str], Sequence[str]]) -> tuple[str, tuple[str, ...]]:
    """A label's name and its parents' names as the service prints them (the same few
    hundred labels recur: worked out once each)."""
    style = DESCRIPTOR.style
    return style(label), tuple(style(parent) for parent in parents_of(label))


def labels_response(
    labels: Sequence[tuple[str, float]],
    request: DetectLabelsRequest,
    objects: Sequence[Any] = (),
    parents_of: Callable[[str], Sequence[str]] = lambda label: (),
) -> dict:
    """`DetectLabelsResponse` for model labels in score order (probabilities 0-1); detected
    `objects` become the `Instances` of the label of their class; `parents_of` names a
    label's `Parents`, nearest first."""
    out: list[dict] = []
    seen: set[str] = set()
    instances: dict[str, list[dict]] = {}
    for det in objects:
        instances.setdefault(det.name.casefold(), []).append(
            {"BoundingBox": _box(det), "Confidence": float(det.score) * DESCRIPTOR.score_scale})
    for label, score in _with_objects(labels, objects):
        if len(out) >= request.max_labels:
            break
        confidence = float(min(max(score, 0.0), 1.0)) * DESCRIPTOR.score_scale
        if confidence < request.min_confidence:
            break  # score order: nothing after this one qualifies
        name, parents = _entry(label, parents_of)
        key = name.casefold()
        if key in seen or (request.include and key not in request.include) or key in request.exclude:
            continue  # one entry per name: an app's own spelling of a label may also be an output
        seen.add(key)
        out.append(
            {
                "Name": name,
                "Confidence": confidence,
                "Instances": instances.get(label.casefold(), []),
                "Parents": [{"Name": parent} for parent in parents],
                "Aliases": [],
                "Categories": [],
            }
        )
    body = {"Labels": out, "LabelModelVersion": LABEL_MODEL_VERSION}
    return {**body, "ResponseMetadata": _metadata(200, json.dumps(body))}


def error_response(error: ServiceError) -> dict:
    """The parsed error botocore hands to `ClientError(error_response, operation_name)`."""
    body = {"__type": error.code, "Message": error.message}
    return {
        "Error": {"Message": error.message, "Code": error.code},
        "ResponseMetadata": _metadata(error.status, json.dumps(body)),
        "Message": error.message,
    }
