"""Bounded preprocessing: what survives a resize-then-center-crop, cut out before resizing.

A model that resizes the short side to S and crops the center keeps only a square window of
the original. For a 1x60,000 image that resize would allocate 256x15,360,000 pixels first;
cutting the center window (at most `max_ratio`:1) beforehand keeps every allocation bounded
for any aspect ratio and leaves ordinary images (aspect ratio up to `max_ratio`) untouched.
"""

from __future__ import annotations

from typing import Any

__all__ = ["center_window"]


def center_window(image: Any, max_ratio: float = 2.0) -> Any:
    """The centered part of `image` whose long side is at most `max_ratio` times its short side."""
    width, height = image.size
    if width > height * max_ratio:
        keep = max(1, int(round(height * max_ratio)))
        left = (width - keep) // 2
        return image.crop((left, 0, left + keep, height))
    if height > width * max_ratio:
        keep = max(1, int(round(width * max_ratio)))
        top = (height - keep) // 2
        return image.crop((0, top, width, top + keep))
    return image
