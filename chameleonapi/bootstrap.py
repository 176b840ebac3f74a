"""Imported at interpreter start by `chameleonapi-bootstrap.pth` when CHAMELEONAPI is set.

Start-up must stay nearly free for every program in a shell that exports the variable
(pip, pytest, scripts that never touch a vision SDK): this module imports nothing but
`sys` and registers one import hook. The providers load, and `chameleonapi.enable()` runs,
only when the program imports a vision SDK package.
"""

from __future__ import annotations

import sys

__all__ = ["SDK_PACKAGES", "SdkImportHook", "install"]

# Packages whose import switches chameleonapi on; every patched module lies below one of them.
SDK_PACKAGES = (
    "google.cloud.vision",
    "google.cloud.vision_v1",
    "google.cloud.vision_v1p1beta1",
    "google.cloud.vision_v1p2beta1",
    "google.cloud.vision_v1p3beta1",
    "google.cloud.vision_v1p4beta1",
    "azure.cognitiveservices.vision.computervision",
    "azure.ai.vision.imageanalysis",
    "botocore",
)


def _enable() -> None:
    """Enable; a bad setting never switches interception off (the application would then
    reach the real cloud service): its default stands in and the generic model answers."""
    import logging

    try:
        import chameleonapi
        from chameleonapi import config

        try:
            chameleonapi.enable()
        except config.SettingsError:
            config.validate(strict=False)  # logs each bad setting once
            chameleonapi.enable()
    except Exception as exc:  # never break the application's import
        logging.getLogger("chameleonapi").error("could not enable at start-up: %s", exc)


class SdkImportHook:
    """A meta-path finder that finds nothing: it enables chameleonapi on the first SDK import.

    It removes itself first, then lets the import go on; `enable()` registers wrapt
    post-import hooks for the SDK modules, which are imported after this package.
    """

    def find_spec(self, name, path=None, target=None):  # noqa: ARG002 - importlib's signature
        if name in SDK_PACKAGES:
            try:
                sys.meta_path.remove(self)
            except ValueError:
                return None
            _enable()
        return None


def install() -> None:
    if any(name in sys.modules for name in SDK_PACKAGES):
        _enable()
    elif not any(isinstance(finder, SdkImportHook) for finder in sys.meta_path):
        sys.meta_path.insert(0, SdkImportHook())


install()
