"""Moved to `chameleonapi.cli.demo`; this name keeps old imports working."""

from chameleonapi.cli.demo import bundled_photos, register, run, run_label_demo

__all__ = ["bundled_photos", "register", "run", "run_label_demo"]
