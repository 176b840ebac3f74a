"""Object detection served locally: Google `object_localization`, Azure `detect_objects`.

A CenterNet-like head on the frozen ImageNet trunk, trained on built-in animal scenes
with exact boxes, and customized to an application's object decisions with the paper's
per-location decision loss. Importing this package loads no torch; `service` does.
"""

from chameleonapi.detection.scenes import NAMES, SCENE_SIZE

__all__ = ["NAMES", "SCENE_SIZE"]
