"""What one analysis found: the decision specs, and what could not be analysed."""

from __future__ import annotations

from dataclasses import dataclass, field

from chameleonapi.spec import DecisionSpec

__all__ = ["Report"]


@dataclass
class Report:
    """Specs plus what could not be analyzed (one line each)."""

    specs: list[DecisionSpec] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
