"""The provider registry: one descriptor per cloud vision service, one lookup.

Each provider is one package under `chameleonapi.providers` with fixed roles:
`descriptor.py` (`DESCRIPTOR`, what the service is), `patch.py` (where its SDK is hooked)
and `codec.py` (request → images; labels/objects → the SDK's own response types and
errors). Adding a provider is one new package and one line in `_PACKAGES`.

Loading the registry imports the descriptor modules only: no SDK, torch or astroid.
"""

from __future__ import annotations

import threading
from functools import cache
from importlib import import_module

from chameleonapi.providers.base import Instrumentor
from chameleonapi.providers.descriptor import ProviderDescriptor

__all__ = [
    "Instrumentor",
    "ProviderDescriptor",
    "available",
    "descriptor",
    "descriptors",
    "for_switch",
    "frame_prefixes",
    "get_instrumentor",
    "min_score",
    "names",
    "style",
    "switches",
]

# One line per provider: its package below chameleonapi.providers.
_PACKAGES = (
    "google_vision",
    "azure_computervision",
    "azure_imageanalysis",
    "aws_rekognition",
)


@cache
def descriptors() -> tuple[ProviderDescriptor, ...]:
    """Every registered provider, in registry order."""
    return tuple(import_module(f"{__name__}.{package}.descriptor").DESCRIPTOR for package in _PACKAGES)


@cache
def _by_name() -> dict[str, ProviderDescriptor]:
    return {d.name: d for d in descriptors()}


def names() -> list[str]:
    """Provider names as specs and served calls carry them ("google", "azure_cv", ...)."""
    return list(_by_name())


def descriptor(name: str) -> ProviderDescriptor:
    """The descriptor of the provider called `name`; ValueError names the known ones."""
    found = _by_name().get(name)
    if found is None:
        raise ValueError(f"unknown provider {name!r}; known: {', '.join(_by_name())}")
    return found


def switches() -> list[str]:
    """Instrumentor names (`enable(providers=...)`, CHAMELEONAPI_<NAME>_ENABLED), in registry order."""
    return list(dict.fromkeys(d.switch for d in descriptors()))


def for_switch(switch: str) -> tuple[ProviderDescriptor, ...]:
    """The providers one switch covers (both Azure services for "azure")."""
    found = tuple(d for d in descriptors() if d.switch == switch)
    if not found:
        raise ValueError(f"unknown provider {switch!r}; known: {', '.join(switches())}")
    return found


def frame_prefixes() -> tuple[str, ...]:
    """Module prefixes of every SDK's frames (never the application's), without repeats."""
    return tuple(dict.fromkeys(p for d in descriptors() for p in d.frame_prefixes))


def min_score(name: str) -> float | None:
    """The provider's reporting floor (no label below it, whatever the request asks), if it has one.

    None for a provider without a floor, and for no or an unknown name (a spec made by hand).
    """
    found = _by_name().get(name)
    return found.min_score if found is not None else None


def style(label: str, name: str) -> str:
    """`label` as provider `name` prints it; an unknown or empty name keeps the model's text."""
    found = _by_name().get(name)
    return found.style(label) if found is not None else label


_instances: dict[str, Instrumentor] = {}
_instances_lock = threading.Lock()


def get_instrumentor(switch: str) -> Instrumentor:
    """The one instrumentor of `switch` (made on first use; its SDK is imported only when patched)."""
    with _instances_lock:
        if switch not in _instances:
            _instances[switch] = Instrumentor(switch, for_switch(switch))
        return _instances[switch]


def available() -> list[str]:
    """Switches whose patch modules exist in this installation."""
    found = []
    for switch in switches():
        try:
            for d in for_switch(switch):
                import_module(d.patch.partition(":")[0])
        except ImportError:
            continue
        found.append(switch)
    return found


def __getattr__(name: str):
    if name == "PROVIDERS":  # the switch names, as `enable()` and the CLI accept them
        return tuple(switches())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
