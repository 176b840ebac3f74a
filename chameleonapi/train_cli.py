"""Moved to `chameleonapi.cli.train`; this name keeps old imports working."""

from chameleonapi.cli.train import register, run

__all__ = ["register", "run"]
