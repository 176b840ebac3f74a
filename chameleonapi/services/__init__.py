"""The catalogue of services: what each cloud vision service is, one lookup.

Each service is one package under `chameleonapi.services` with fixed roles:
`descriptor.py` (`DESCRIPTOR`: names, fields, scales, limits, label style) and `codec.py`
(request → images; labels and objects → the SDK's own response types and errors). The
catalogue imports nothing above `imaging`: knowing what a service is never pulls in
patching, serving or a model. The patches that install a service live in
`chameleonapi.patches`. Adding a service is one new package and one line in `_DESCRIPTORS`.
"""

from __future__ import annotations

from functools import cache

from chameleonapi.services.aws_rekognition.descriptor import DESCRIPTOR as _AWS
from chameleonapi.services.azure_computervision.descriptor import DESCRIPTOR as _AZURE_CV
from chameleonapi.services.azure_imageanalysis.descriptor import DESCRIPTOR as _AZURE_IA
from chameleonapi.services.descriptor import ProviderDescriptor
from chameleonapi.services.google_vision.descriptor import DESCRIPTOR as _GOOGLE

__all__ = [
    "ProviderDescriptor",
    "descriptor",
    "descriptors",
    "for_switch",
    "frame_prefixes",
    "min_score",
    "names",
    "style",
    "switches",
]

# One line per service, in registry order.
_DESCRIPTORS: tuple[ProviderDescriptor, ...] = (_GOOGLE, _AZURE_CV, _AZURE_IA, _AWS)


def descriptors() -> tuple[ProviderDescriptor, ...]:
    """Every registered service, in registry order."""
    return _DESCRIPTORS


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
