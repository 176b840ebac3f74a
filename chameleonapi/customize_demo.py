"""Moved to `chameleonapi.cli.customize_demo`; this name keeps old imports working."""

from chameleonapi.cli.customize_demo import TEST_SCENES, run_customization_demo

__all__ = ["TEST_SCENES", "run_customization_demo"]
