"""What both Azure vision codecs share: tag ranking, image reading, the REST error dialect.

Azure Computer Vision (msrest, v3.2) and Image Analysis 4.0 (azure-core) answer with the
same HTTP error body, read images under similar rules and report tags the same way; each
SDK's own package (`azure_computervision`, `azure_imageanalysis`) turns these into its own
types. This module imports neither SDK and neither SDK package imports the other.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chameleonapi.errors import ServiceError
from chameleonapi.imaging import ImageInputError, ServicePolicy, decode_image, read_uri

__all__ = [
    "LocalImage",
    "check_language",
    "feature_name",
    "http_response",
    "image_from_url",
    "invalid",
    "load_image",
    "not_served",
    "read_stream",
    "rect",
    "request_id",
]

LOCAL_LANGUAGES = {"en"}  # the local model's labels are English


@dataclass(frozen=True)
class LocalImage:
    """A decoded image with the facts Azure reports in `metadata`."""

    image: Any  # PIL.Image.Image, RGB (possibly reduced: the model needs no more)
    width: int  # of the image the application sent
    height: int
    format: str  # Azure spelling: "Jpeg", "Png", ...


def invalid(inner_code: str, message: str, *, refused: bool = False) -> ServiceError:
    """The services' 400 InvalidRequest with its inner code."""
    return ServiceError("InvalidRequest", message, 400, inner_code, refused)


def not_served(what: str, inner_code: str = "NotSupportedVisualFeature") -> ServiceError:
    return invalid(inner_code, f"{what} is not served by the local model (chameleonapi serves tags); set "
                   "CHAMELEONAPI_PASSTHROUGH=1 to send it to the Azure service.", refused=True)


def check_language(language: str | None) -> ServiceError | None:
    if language is None or str(language).lower() in LOCAL_LANGUAGES:
        return None
    return invalid("NotSupportedLanguage",
                   f"Language {str(language)!r} is not served by the local model (it answers in English, 'en'); "
                   "set CHAMELEONAPI_PASSTHROUGH=1 to send it to the Azure service.", refused=True)


def _invalid_format() -> ServiceError:
    return invalid("InvalidImageFormat", "Input data is not a valid image.")


def feature_name(feature: Any) -> str:
    """A requested feature's name, from the SDK's enum member or a plain string."""
    return str(getattr(feature, "value", feature))


def read_stream(stream: Any) -> bytes:
    """Bytes of a readable binary stream (or bytes, or an iterator of chunks); read once, not closed.

    Text (a str, a StringIO, str chunks) is not image data: the service's InvalidImageFormat.
    """
    if isinstance(stream, (bytes, bytearray, memoryview)):
        return bytes(stream)
    try:
        if hasattr(stream, "read"):
            data = stream.read()
            if data is None:
                return b""
            if isinstance(data, str):
                raise _invalid_format()
            return bytes(data)
        if isinstance(stream, str):
            raise _invalid_format()
        chunks = []
        for chunk in stream:
            if isinstance(chunk, str):
                raise _invalid_format()
            chunks.append(bytes(chunk))
        return b"".join(chunks)
    except (TypeError, ValueError):
        raise _invalid_format() from None


def image_from_url(url: str, policy: ServicePolicy) -> bytes:
    """Fetch an image URL the way the local side allows; refusals are the service's errors."""
    if not isinstance(url, str) or not url:
        raise invalid("InvalidImageUrl", "Image URL is badly formatted.")
    try:
        return read_uri(url, policy.max_bytes)
    except ImageInputError as exc:
        if exc.kind == ImageInputError.TOO_MANY_BYTES:
            raise _size_error(str(exc)) from None
        raise invalid("InvalidImageUrl", str(exc)) from None


def _size_error(message: str) -> ServiceError:
    return invalid("InvalidImageSize", message)


def load_image(data: bytes, policy: ServicePolicy) -> LocalImage:
    """Decode image bytes under the service's policy; refusals are InvalidImageFormat/InvalidImageSize."""
    try:
        decoded = decode_image(data, policy)
    except ImageInputError as exc:
        if exc.kind in (ImageInputError.TOO_SMALL, ImageInputError.TOO_LARGE, ImageInputError.TOO_MANY_BYTES):
            raise _size_error(str(exc)) from None
        raise _invalid_format() from None
    name = "JPEG" if decoded.format == "MPO" else decoded.format  # an MPO file is a JPEG to the service
    return LocalImage(decoded.image, decoded.width, decoded.height, name.capitalize())


def rect(box: Sequence[float], width: int, height: int) -> dict[str, int]:
    """A normalized (x0, y0, x1, y1) box as Azure's integer pixel rectangle of the sent image."""
    x0, y0 = int(round(box[0] * width)), int(round(box[1] * height))
    x1, y1 = int(round(box[2] * width)), int(round(box[3] * height))
    return {"x": x0, "y": y0, "w": max(1, x1 - x0), "h": max(1, y1 - y0)}


def request_id() -> str:
    return str(uuid.uuid4())


def error_response(error: ServiceError, url: str, req_id: str):
    """The HTTP response both Azure vision services send for `error`: what each SDK's own
    exception is built from."""
    inner = {"code": error.inner_code, "message": error.message}
    return http_response(error.status, {"error": {"code": error.code, "message": error.message, "innererror": inner}},
                         url, req_id)


def http_response(status: int, body: dict, url: str, req_id: str):
    """A `requests.Response` carrying a JSON body, as the SDKs' requests transport returns it."""
    import requests
    from requests.structures import CaseInsensitiveDict

    response = requests.Response()
    response.status_code = status
    response.reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error"}.get(status, "")
    response._content = json.dumps(body).encode("utf-8")
    response._content_consumed = True  # the body is all here; nothing is left to stream
    response.encoding = "utf-8"
    response.headers = CaseInsensitiveDict(
        {"Content-Type": "application/json; charset=utf-8", "apim-request-id": req_id}
    )
    response.url = url
    return response
