"""Bytes → a small RGB image, decoded like the service would and never bigger than needed.

Order of checks, each before any pixel is decoded: byte size; the format (only the service's
Pillow plugins are tried); the declared width and height against the service's limits; the
raster that decoding would allocate against a fixed budget (JPEG is decoded at 1/2, 1/4 or
1/8 scale with draft mode when that still leaves more than the model needs). After
decoding, the image is reduced so its short side stays just above what the models use.
Every decoder failure, Pillow's `DecompressionBombError` included, becomes an
`ImageInputError` that each provider turns into its SDK's own error.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Any

from chameleonapi.imaging.errors import ImageInputError
from chameleonapi.imaging.policy import ServicePolicy

__all__ = ["KEEP_SIDE", "DecodedImage", "decode_image", "raster_bytes"]

# The models read at most 256 px on the short side (generic: resize 256, crop 224); keep
# twice that so reduction never changes what they see in any way that matters.
KEEP_SIDE = 512
_ONE_BYTE_MODES = {"1", "L", "P"}
_TWO_BYTE_MODES = {"I;16", "I;16L", "I;16B", "I;16N"}


@dataclass(frozen=True)
class DecodedImage:
    """The decoded RGB image (possibly reduced) and the facts of the original file."""

    image: Any  # PIL.Image.Image, mode RGB
    width: int
    height: int
    format: str  # Pillow's format name: "JPEG", "PNG", ...


def raster_bytes(mode: str, size: tuple[int, int]) -> int:
    """Bytes Pillow allocates for an image of `mode` and `size` (multi-band modes use 4 per pixel)."""
    per_pixel = 1 if mode in _ONE_BYTE_MODES else 2 if mode in _TWO_BYTE_MODES else 4
    return size[0] * size[1] * per_pixel


def _bad(message: str = "Bad image data.") -> ImageInputError:
    return ImageInputError(ImageInputError.BAD_DATA, message)


def _check_size(policy: ServicePolicy, width: int, height: int) -> None:
    if width < policy.min_side or height < policy.min_side:
        raise ImageInputError(
            ImageInputError.TOO_SMALL,
            f"Image must be at least {policy.min_side} pixels in width and height (it is {width}x{height}).",
        )
    too_big = width > policy.max_side or height > policy.max_side
    if too_big or (policy.max_pixels is not None and width * height > policy.max_pixels):
        limit = f"{policy.max_side}x{policy.max_side} pixels"
        if policy.max_pixels is not None:
            limit = f"{policy.max_pixels:,} pixels"
        raise ImageInputError(ImageInputError.TOO_LARGE, f"Image is too large: {width}x{height} exceeds {limit}.")


def _ico_frame_size(image) -> tuple[int, int] | None:
    """Size of the frame an ICO will really decode (an embedded PNG or DIB may declare its own)."""
    ico = getattr(image, "ico", None)
    if ico is None:
        return None
    header = ico.entry[ico.getentryindex(image.size)]
    ico.buf.seek(header.offset)
    head = ico.buf.read(24)
    if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) >= 24:
        return struct.unpack(">II", head[16:24])
    if len(head) >= 12:
        width, height = struct.unpack("<ii", head[4:12])
        return abs(width), abs(height) // 2
    return None


def _draft(image, width: int, height: int) -> None:
    """JPEG only: let libjpeg decode at the smallest scale that keeps KEEP_SIDE on the short side."""
    factor = min(width, height) // KEEP_SIDE
    if factor >= 2 and image.format in ("JPEG", "MPO"):
        image.draft(image.mode, (max(1, width // factor), max(1, height // factor)))


def _to_rgb(image):
    """Any mode (CMYK, 16-bit, float, palette with alpha, ...) to 8-bit RGB."""
    if image.mode.startswith("I;16"):
        image = image.convert("I")
    if image.mode in ("I", "F"):
        high = image.getextrema()[1] or 1
        scale = 255.0 / high if high > 255 else 1.0
        image = image.point(lambda value: value * scale).convert("L")
    elif image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    return image if image.mode == "RGB" else image.convert("RGB")


def _reduce(image):
    """Shrink by an integer factor (box filter) while the short side stays above KEEP_SIDE."""
    factor = min(image.size) // KEEP_SIDE
    if factor < 2:
        return image
    try:
        return image.reduce(factor)
    except ValueError:  # palette, bilevel and 16-bit modes: nearest neighbour, no full-size copy
        from PIL import Image

        size = (max(1, image.width // factor), max(1, image.height // factor))
        return image.resize(size, Image.Resampling.NEAREST)


def decode_image(data: bytes, policy: ServicePolicy, budget: int | None = None) -> DecodedImage:
    """Decode `data` under `policy` (a provider descriptor's); raises ImageInputError (never anything else)."""
    from PIL import Image

    if budget is None:
        from chameleonapi import config

        budget = config.decode_max_bytes()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _bad("Bad image data: the image content is not bytes.")
    if not data:
        raise _bad("Bad image data: the image is empty.")
    if len(data) > policy.max_bytes:
        raise ImageInputError(
            ImageInputError.TOO_MANY_BYTES,
            f"Image file is too large: {len(data):,} bytes (the limit is {policy.max_bytes:,}).",
        )
    Image.init()  # register every plugin's name (importing is not running: only `formats` are tried)
    try:
        with Image.open(io.BytesIO(bytes(data)), formats=list(policy.formats)) as image:
            fmt = image.format or ""
            width, height = image.size
            _check_size(policy, width, height)
            _draft(image, width, height)
            frame = _ico_frame_size(image) if fmt == "ICO" else None
            if frame is not None:
                _check_size(policy, *frame)
            if raster_bytes(image.mode, frame or image.size) > budget:
                raise ImageInputError(
                    ImageInputError.TOO_LARGE,
                    f"Image is too large to decode: {width}x{height} {image.mode} needs more than "
                    f"{budget // (1024 * 1024)} MB (CHAMELEONAPI_DECODE_MAX_MB).",
                )
            image.load()
            rgb = _to_rgb(_reduce(image))
    except ImageInputError:
        raise
    except Image.DecompressionBombError:
        raise ImageInputError(ImageInputError.TOO_LARGE, "Image is too large: it declares too many pixels.") from None
    except MemoryError:
        raise ImageInputError(ImageInputError.TOO_LARGE, "Image is too large to decode.") from None
    except Exception:  # every decoder failure (OSError, SyntaxError, struct.error, EOFError, ...)
        raise _bad() from None
    return DecodedImage(rgb, width, height, fmt)
