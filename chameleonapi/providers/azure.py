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
import io
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chameleonapi.images import ImageInputError, decode, read_uri
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

    image: Any  # PIL.Image.Image, RGB
    width: int
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


def read_stream(stream: Any) -> bytes:
    """Bytes of a readable binary stream (or bytes, or an iterator of chunks); read once, not closed."""
    if isinstance(stream, (bytes, bytearray, memoryview)):
        return bytes(stream)
    if hasattr(stream, "read"):
        data = stream.read()
        return bytes(data) if data is not None else b""
    try:
        return b"".join(bytes(chunk) for chunk in stream)
    except TypeError:
        raise ServiceError(400, "InvalidRequest", "InvalidImageFormat", "Input data is not a valid image.") from None


def image_from_url(url: str) -> bytes:
    """Fetch an image URL the way the local side allows; refusals become InvalidImageUrl."""
    if not isinstance(url, str) or not url:
        raise ServiceError(400, "InvalidRequest", "InvalidImageUrl", "Image URL is badly formatted.")
    try:
        return read_uri(url)
    except ImageInputError as exc:
        raise ServiceError(400, "InvalidRequest", "InvalidImageUrl", str(exc)) from None


def load_image(data: bytes) -> LocalImage:
    """Decode image bytes; unreadable or empty ones are the service's InvalidImageFormat."""
    try:
        image = decode(data)
    except ImageInputError:
        raise ServiceError(400, "InvalidRequest", "InvalidImageFormat", "Input data is not a valid image.") from None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = (probe.format or "").capitalize()
    except Exception:  # decode() already succeeded; the format name is cosmetic
        fmt = ""
    return LocalImage(image, image.width, image.height, fmt)


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
