"""Moved to `chameleonapi.cli.eval`; this name keeps old imports working."""

from chameleonapi.cli.eval import register, run

__all__ = ["register", "run"]
