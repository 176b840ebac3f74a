"""The patches: where each service's SDK is hooked, one instrumentor per switch.

Each service of the catalogue (`chameleonapi.services`) has one module here whose
`patches()` lists the SDK attributes it wraps; `_PATCHES` names them all explicitly. The
SDKs themselves are imported only when a patch is applied (post-import hooks).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from chameleonapi import services
from chameleonapi.patches import aws_rekognition, azure_computervision, azure_imageanalysis, google_vision
from chameleonapi.patches.base import Instrumentor, Patch

__all__ = ["Instrumentor", "Patch", "available", "get_instrumentor", "patches_of"]

# One line per service of the catalogue: its name → the function listing its patch points.
_PATCHES: dict[str, Callable[[], list[Patch]]] = {
    "google": google_vision.patches,
    "azure_cv": azure_computervision.patches,
    "azure_ia": azure_imageanalysis.patches,
    "aws": aws_rekognition.patches,
}


def patches_of(service: str) -> list[Patch]:
    """The patch points of one service of the catalogue."""
    return _PATCHES[service]()


_instances: dict[str, Instrumentor] = {}
_instances_lock = threading.Lock()


def get_instrumentor(switch: str) -> Instrumentor:
    """The one instrumentor of `switch` (made on first use; its SDK is imported only when patched)."""
    with _instances_lock:
        if switch not in _instances:
            _instances[switch] = Instrumentor(switch, services.for_switch(switch), patches_of)
        return _instances[switch]


def available() -> list[str]:
    """Every switch of the catalogue (each has its patches here)."""
    return [switch for switch in services.switches()
            if all(d.name in _PATCHES for d in services.for_switch(switch))]


def __getattr__(name: str):
    if name == "PROVIDERS":  # the switch names, as `enable()` and the CLI accept them
        return tuple(services.switches())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
