"""Image input shared by all providers (kept for callers of the old module; see `imaging/`).

`decode(data)` gives a small RGB PIL image under Google's input policy; providers use
`chameleonapi.imaging` directly with their own service's policy.
"""

from __future__ import annotations

from chameleonapi.imaging import ImageInputError, decode_image
from chameleonapi.imaging import read_uri as _read_uri
from chameleonapi.providers.google_vision.descriptor import POLICY as GOOGLE

__all__ = ["ImageInputError", "decode", "read_uri"]


def decode(data: bytes):
    """Bytes → RGB PIL image; raises ImageInputError for anything the service would refuse."""
    return decode_image(data, GOOGLE).image


def read_uri(uri: str) -> bytes:
    """Bytes of an image named by URI, within Google's 20 MB limit."""
    return _read_uri(uri, GOOGLE.max_bytes)
