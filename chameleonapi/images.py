"""Image input shared by all providers: bytes, local paths, file:// and (opt-in) http(s) URLs.

Errors carry a `kind` so each provider can answer in its SDK's own dialect.
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import unquote, urlparse

from chameleonapi import config


class ImageInputError(ValueError):
    """An image the local service cannot read; `kind` says why."""

    BAD_DATA = "bad_data"
    NOT_FOUND = "not_found"
    UNSUPPORTED_URI = "unsupported_uri"
    NETWORK_DISABLED = "network_disabled"
    FETCH_FAILED = "fetch_failed"

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def decode(data: bytes):
    """Bytes → RGB PIL image; raises ImageInputError(BAD_DATA) for anything unreadable."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageInputError(ImageInputError.BAD_DATA, "Bad image data: the image is empty.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageInputError(ImageInputError.BAD_DATA, "Bad image data.") from exc


def read_uri(uri: str) -> bytes:
    """Bytes of an image named by URI: a local path, file://, or http(s):// when allowed."""
    parsed = urlparse(uri)
    scheme = parsed.scheme.lower()
    if scheme in ("", "file") or (len(scheme) == 1 and uri[1:3] in (":\\", ":/")):
        path = Path(unquote(parsed.path) if scheme == "file" else uri)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise ImageInputError(ImageInputError.NOT_FOUND, f"Image file not found: {path}") from None
        except OSError as exc:
            raise ImageInputError(ImageInputError.NOT_FOUND, f"Cannot read image file {path}: {exc}") from None
    if scheme in ("http", "https"):
        if not config.allow_network():
            raise ImageInputError(
                ImageInputError.NETWORK_DISABLED,
                f"Fetching {uri} is disabled: chameleonapi serves images offline. "
                "Set CHAMELEONAPI_ALLOW_NETWORK=1 to let it download image URLs.",
            )
        return _fetch(uri)
    if scheme == "gs":
        raise ImageInputError(
            ImageInputError.UNSUPPORTED_URI,
            f"Cloud Storage URIs ({uri}) cannot be read by the local service; pass the image "
            "bytes as content or a local path instead.",
        )
    raise ImageInputError(ImageInputError.UNSUPPORTED_URI, f"Unsupported image URI scheme {scheme!r}: {uri}")


def _fetch(url: str) -> bytes:
    import urllib.request

    limit = config.fetch_max_bytes()
    try:
        with urllib.request.urlopen(url, timeout=config.fetch_timeout()) as response:  # noqa: S310
            data = response.read(limit + 1)
    except OSError as exc:
        raise ImageInputError(ImageInputError.FETCH_FAILED, f"Could not fetch {url}: {exc}") from None
    if len(data) > limit:
        raise ImageInputError(
            ImageInputError.FETCH_FAILED, f"Image at {url} is larger than {limit} bytes (CHAMELEONAPI_FETCH_MAX_BYTES)."
        )
    return data
