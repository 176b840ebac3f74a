"""Azure vision SDKs: Computer Vision (msrest, v3.2) and Image Analysis 4.0 (azure-core).

One provider name, "azure", covers both SDKs so one switch (`CHAMELEONAPI_AZURE_ENABLED=0`)
turns both off. The per-SDK request/response code lives in `azure_computervision.py` and
`azure_imageanalysis.py`; this module holds what they share (tag ranking, image reading,
HTTP-shaped error bodies) and the instrumentor that combines their patches.

Version ranges: the base class checks one distribution, so each SDK's range is checked here
instead and an SDK outside its range simply contributes no patches.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chameleonapi.imaging import ImageInputError, ServicePolicy, decode_image, read_uri
from chameleonapi.providers.base import Instrumentor, Patch, _version_tuple
from chameleonapi.spec import PROVIDER_MIN_SCORE

logger = logging.getLogger("chameleonapi")

PROVIDER = "azure"
# Azure has no max_results: it reports every tag it is reasonably sure of. Tags below this
# confidence are left out, as the service leaves out its low-confidence guesses.
MIN_CONFIDENCE = PROVIDER_MIN_SCORE["azure_cv"]
LOCAL_LANGUAGES = {"en"}  # the local model's labels are English

COMPUTER_VISION = "azure-cognitiveservices-vision-computervision"
IMAGE_ANALYSIS = "azure-ai-vision-imageanalysis"
SUPPORTED = {COMPUTER_VISION: ("0.9", "1.0"), IMAGE_ANALYSIS: ("1.0", "2.0")}


@dataclass(frozen=True)
class LocalImage:
    """A decoded image with the facts Azure reports in `metadata`."""

    image: Any  # PIL.Image.Image, RGB (possibly reduced: the model needs no more)
    width: int  # of the image the application sent
    height: int
    format: str  # Azure spelling: "Jpeg", "Png", ...


class ServiceError(Exception):
    """What the service would answer with an HTTP error; each SDK turns it into its own type.

    Never reaches the application: the SDK modules catch it and raise the SDK's exception.
    """

    def __init__(self, status: int, code: str, inner_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.inner_code = inner_code
        self.message = message

    def body(self) -> dict:
        """The REST error body, in the shape both Azure vision services use."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "innererror": {"code": self.inner_code, "message": self.message},
            }
        }


def not_served(what: str, inner_code: str = "NotSupportedVisualFeature") -> ServiceError:
    return ServiceError(
        400,
        "InvalidRequest",
        inner_code,
        f"{what} is not served by the local model (chameleonapi serves tags); set "
        "CHAMELEONAPI_PASSTHROUGH=1 to send it to the Azure service.",
    )


def language_error(language: str) -> ServiceError:
    return ServiceError(
        400,
        "InvalidRequest",
        "NotSupportedLanguage",
        f"Language {language!r} is not served by the local model (it answers in English, 'en'); "
        "set CHAMELEONAPI_PASSTHROUGH=1 to send it to the Azure service.",
    )


def check_language(language: str | None) -> ServiceError | None:
    if language is None or str(language).lower() in LOCAL_LANGUAGES:
        return None
    return language_error(str(language))


def _invalid_format() -> ServiceError:
    return ServiceError(400, "InvalidRequest", "InvalidImageFormat", "Input data is not a valid image.")


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
        raise ServiceError(400, "InvalidRequest", "InvalidImageUrl", "Image URL is badly formatted.")
    try:
        return read_uri(url, policy.max_bytes)
    except ImageInputError as exc:
        if exc.kind == ImageInputError.TOO_MANY_BYTES:
            raise _size_error(str(exc)) from None
        raise ServiceError(400, "InvalidRequest", "InvalidImageUrl", str(exc)) from None


def _size_error(message: str) -> ServiceError:
    return ServiceError(400, "InvalidRequest", "InvalidImageSize", message)


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


def rank_tags(images: Sequence[LocalImage], method: str) -> list[list[tuple[str, float]]]:
    """Per image, (lower-case tag, confidence) in score order, above MIN_CONFIDENCE."""
    from chameleonapi import runtime
    from chameleonapi.vocab import provider_style

    ranked = runtime.serve_labels([i.image for i in images], provider=PROVIDER, method=method, max_results=None)
    return [
        [(provider_style(label, PROVIDER), float(score)) for label, score in labels if score >= MIN_CONFIDENCE]
        for labels in ranked
    ]


def record_error(method: str, error: ServiceError) -> None:
    from chameleonapi import runtime

    runtime.record_errors(PROVIDER, method, [error.message])


def request_id() -> str:
    return str(uuid.uuid4())


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


def installed(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def supported(distribution: str) -> bool:
    """Not installed counts as supported: its hooks wait for an import that may never come."""
    version = installed(distribution)
    if version is None:
        return True
    low, high = (_version_tuple(v) for v in SUPPORTED[distribution])
    return low <= _version_tuple(version) < high


class AzureInstrumentor(Instrumentor):
    """Serves Azure Computer Vision and Image Analysis tagging from the local model."""

    name = "azure"
    distribution = COMPUTER_VISION
    supported = SUPPORTED[COMPUTER_VISION]

    def is_supported_version(self) -> bool:
        """Instrument when either SDK is in range; `patches()` drops the one that is not."""
        return any(supported(d) for d in SUPPORTED)

    def patches(self) -> list[Patch]:
        patches: list[Patch] = []
        for distribution in SUPPORTED:
            if not supported(distribution):
                logger.warning(
                    "%s %s is outside the supported range %s..%s; not patched",
                    distribution, installed(distribution), *SUPPORTED[distribution],
                )
                continue
            if distribution == COMPUTER_VISION:
                from chameleonapi.providers import azure_computervision

                patches += azure_computervision.patches()
            else:
                from chameleonapi.providers import azure_imageanalysis

                patches += azure_imageanalysis.patches()
        return patches
