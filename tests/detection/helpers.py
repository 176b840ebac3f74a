"""Shared set-up for the detection tests: a tiny generic detector, built once per session."""

from __future__ import annotations

import os

os.environ["CHAMELEONAPI_DETECTOR_BUDGET"] = "tiny"
# the silhouette detector answers only when the built-in data is chosen explicitly
os.environ["CHAMELEONAPI_DATA"] = "builtin"


def tiny_generic():
    from chameleonapi.detection.heads import generic_head

    return generic_head(build=True)
