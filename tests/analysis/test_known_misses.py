"""Decisions the walker alone does not express, found by running the application's code on
probe responses (`chameleonapi.analysis.probes`), each with its reproduction app."""

from __future__ import annotations

from chameleonapi.analysis import analyze_report
from tests.paths import APPS


def test_argmax_of_match_counts_is_a_multi_choice() -> None:
    report = analyze_report(APPS / "miss_argmax_counts.py")
    assert [(s.kind, [c.name for c in s.categories]) for s in report.specs] == [
        ("multi_choice", ["kitchen", "office"])
    ]
    spec = report.specs[0]
    assert spec.decide([("Oven", 0.9)]) == "kitchen" and spec.decide([("Desk", 0.9)]) == "office"
    assert spec.decide([("Tree", 0.9)]) is None


def test_image_analysis_object_tags() -> None:
    report = analyze_report(APPS / "miss_ia_objects.py")
    assert [(s.kind, sorted(s.categories[0].labels)) for s in report.specs] == [("true_false", ["car", "truck"])]
    assert report.errors == []
