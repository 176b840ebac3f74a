"""Real photos for tests (scikit-image sample data) as encoded bytes."""

from __future__ import annotations

import io
from functools import cache


@cache
def photo(name: str, fmt: str = "JPEG") -> bytes:
    import skimage.data
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(getattr(skimage.data, name)()).save(buffer, fmt)
    return buffer.getvalue()


CORRUPT = b"\xff\xd8\xff\xe0 this is not really a jpeg" * 4
