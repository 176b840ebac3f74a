"""The one registry of decision kinds: name -> kind, and the rules that pick one.

`kind_of(spec)` gives a spec its meaning (the first kind, by precedence, that accepts it);
`claim(shape)` gives the analysis the kind a shape of code makes. Adding a kind is one
module with a `DecisionKind` subclass and one `register(...)` line in `__init__.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.decisions.base import DecisionKind, Shape
    from chameleonapi.spec import DecisionSpec

__all__ = ["claim", "get_kind", "kind_of", "kinds", "register", "spec_kinds"]

_KINDS: dict[str, DecisionKind] = {}


def register(kind: DecisionKind) -> DecisionKind:
    """Add a kind (an instance); its name must be new."""
    if not kind.name or not kind.spec_kind:
        raise ValueError(f"{kind!r} needs a name and a spec_kind")
    if kind.name in _KINDS:
        raise ValueError(f"a decision kind named {kind.name!r} is already registered")
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> DecisionKind:
    """The kind registered under `name`."""
    try:
        return _KINDS[name]
    except KeyError:
        raise KeyError(f"no decision kind {name!r}; registered: {sorted(_KINDS)}") from None


def kinds() -> list[str]:
    """Names of the registered kinds, by precedence."""
    return [k.name for k in _ordered()]


def spec_kinds() -> tuple[str, ...]:
    """The values `DecisionSpec.kind` may hold."""
    return tuple(dict.fromkeys(k.spec_kind for k in _KINDS.values()))


def kind_of(spec: DecisionSpec) -> DecisionKind:
    """The kind that gives `spec` its meaning."""
    for kind in _ordered():
        if kind.accepts(spec):
            return kind
    raise ValueError(f"no decision kind accepts kind={spec.kind!r}, target={spec.target!r}")


def claim(shape: Shape) -> DecisionKind:
    """The kind the analysis records for a decision of this shape."""
    for kind in _ordered():
        if kind.claims(shape):
            return kind
    raise ValueError(f"no decision kind claims {shape}")


def _ordered() -> list[DecisionKind]:
    return sorted(_KINDS.values(), key=lambda k: (k.precedence, k.name))
