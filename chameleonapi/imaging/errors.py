"""The one exception image input raises; its `kind` lets each provider answer in its dialect."""

from __future__ import annotations

from chameleonapi.errors import Error

__all__ = ["ImageInputError"]


class ImageInputError(Error, ValueError):
    """An image the local service cannot read; `kind` says why, the provider picks the words."""

    BAD_DATA = "bad_data"  # undecodable, truncated, empty, or a format the service refuses
    TOO_SMALL = "too_small"  # below the service's minimum width/height
    TOO_LARGE = "too_large"  # beyond the service's pixel/side limits, or a decompression bomb
    TOO_MANY_BYTES = "too_many_bytes"  # file larger than the service accepts
    UNREADABLE_URI = "unreadable_uri"  # a local path or file:// URI that is not served
    UNSUPPORTED_URI = "unsupported_uri"
    NETWORK_DISABLED = "network_disabled"
    FETCH_FAILED = "fetch_failed"

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
