"""Moved to `chameleonapi.cli.cache`; this name keeps old imports working."""

from chameleonapi.cli.cache import register, run

__all__ = ["register", "run"]
