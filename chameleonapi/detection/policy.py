"""When a local detector may answer, and how much it reports.

Object detection is served locally only by the built-in silhouette detector, chosen
explicitly with `CHAMELEONAPI_DATA=builtin`: it must never answer a real app's photos.
"""

from __future__ import annotations

from chameleonapi import config

__all__ = ["MAX_OBJECTS", "REPORT_FLOOR", "DetectorUnavailable", "missing_detector_message", "objects_available"]

REPORT_FLOOR = 0.5  # the lowest score an object is reported with (the API's own cut)
MAX_OBJECTS = 20


class DetectorUnavailable(RuntimeError):
    """No detector may answer: none is trained on the configured data, or none is stored
    and this process may not train one."""


def objects_available() -> bool:
    """Is a local detector allowed to answer (the built-in data was chosen)?"""
    return config.data_setting() == "builtin"


def missing_detector_message() -> str:
    data = config.data_setting()
    source = f"the configured data ({data})" if data else "any configured data (CHAMELEONAPI_DATA is not set)"
    return (f"no object detector is trained on {source}; chameleonapi serves object detection only with its "
            "built-in silhouette detector (CHAMELEONAPI_DATA=builtin, for demos and tests). Set "
            "CHAMELEONAPI_PASSTHROUGH=1 to send object requests to the cloud service")
