"""Shared set-up for the detection tests: a tiny generic detector, built once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def silhouette_detector(monkeypatch):
    """The tiny silhouette detector for every test of a module that imports this fixture: it
    answers only when the built-in data is chosen explicitly (set per test, so other modules
    see the defaults)."""
    monkeypatch.setenv("CHAMELEONAPI_DETECTOR_BUDGET", "tiny")
    monkeypatch.setenv("CHAMELEONAPI_DATA", "builtin")


def tiny_generic():
    from chameleonapi.detection.heads import generic_head

    return generic_head(build=True)
