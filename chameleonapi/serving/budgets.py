"""How much data and compute one customization may use, for either kind of model.

A `Budget` names a preset of one kind (`labels`: `CHAMELEONAPI_BUDGET`, presets of
`chameleonapi.training.trainer`; `objects`: `CHAMELEONAPI_DETECTOR_BUDGET`, presets of
`chameleonapi.detection.train`), read through `chameleonapi.config` like every setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chameleonapi import config

__all__ = ["SETTINGS", "Budget", "budget_for"]

SETTINGS = {"labels": "budget", "objects": "detector_budget"}


@dataclass(frozen=True)
class Budget:
    """A named training-budget preset of one kind of model."""

    kind: str
    name: str

    def preset(self) -> Any:
        """The preset itself (a trainer `Budget` or a detector `DetBudget`)."""
        if self.kind == "objects":
            from chameleonapi.detection.train import BUDGETS

            return BUDGETS[self.name]
        from chameleonapi.training.trainer import budget_of

        return budget_of(self.name)


def budget_for(kind: str, value: str | None = None) -> Budget:
    """The configured budget of `kind` (`value`, a keyword, wins); a bad one is a `SettingsError`."""
    if kind not in SETTINGS:
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(SETTINGS)}")
    return Budget(kind, config.get(SETTINGS[kind], value))
