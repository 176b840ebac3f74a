"""What an SDK adapter asks of object detection on each call (kept at this import path).

The detector heads live in `heads`, the served detector in `detector`, and serving itself
(one engine per call site) in `chameleonapi.serving`.
"""

from __future__ import annotations

from chameleonapi.detection.policy import (
    MAX_OBJECTS,
    REPORT_FLOOR,
    DetectorUnavailable,
    missing_detector_message,
    objects_available,
)

__all__ = ["MAX_OBJECTS", "REPORT_FLOOR", "DetectorUnavailable", "missing_detector_message", "objects_available"]
