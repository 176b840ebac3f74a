"""What each real service accepts: formats, bytes and pixel limits, as its documentation says.

Formats are Pillow plugin names (Pillow's JPEG plugin also reads MPO, the multi-picture
JPEG); only those plugins ever see the bytes (`Image.open(...,
formats=...)`), so e.g. EPS never reaches Pillow's Ghostscript path.

- Google Cloud Vision: JPEG, PNG8/PNG24, GIF (first frame of an animation), BMP, WEBP, ICO,
  TIFF, RAW and PDF (no local decoder for the last two: they get "Bad image data."); files
  over 20 MB are an error; images should not exceed 75M pixels.
- Azure Computer Vision v3.2: JPEG, PNG, GIF, BMP; under 4 MB; 50x50 to 16000x16000 px.
- Azure Image Analysis 4.0: JPEG, PNG, GIF, BMP, WEBP, ICO, TIFF, MPO; under 20 MB;
  50x50 to 16000x16000 px.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AZURE_CV", "AZURE_IA", "GOOGLE", "ServicePolicy"]

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


GOOGLE = ServicePolicy(
    "google",
    ("JPEG", "PNG", "GIF", "BMP", "WEBP", "ICO", "TIFF"),
    max_bytes=20 * MB,
    max_pixels=75_000_000,
)
AZURE_CV = ServicePolicy("azure_cv", ("JPEG", "PNG", "GIF", "BMP"), max_bytes=4 * MB, min_side=50, max_side=16000)
AZURE_IA = ServicePolicy(
    "azure_ia",
    ("JPEG", "PNG", "GIF", "BMP", "WEBP", "ICO", "TIFF"),
    max_bytes=20 * MB,
    min_side=50,
    max_side=16000,
)
