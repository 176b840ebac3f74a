"""What a service accepts: formats, bytes and pixel limits (each provider's descriptor has one).

Formats are Pillow plugin names (Pillow's JPEG plugin also reads MPO, the multi-picture
JPEG); only those plugins ever see the bytes (`Image.open(...,
formats=...)`), so e.g. EPS never reaches Pillow's Ghostscript path. The limits of each
service are in `chameleonapi.services.<provider>.descriptor`, as its documentation says.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MB", "ServicePolicy"]

MB = 1024 * 1024


@dataclass(frozen=True)
class ServicePolicy:
    """Input limits of one service."""

    service: str
    formats: tuple[str, ...]
    max_bytes: int
    min_side: int = 1
    max_side: int = 65535
    max_pixels: int | None = None
