"""Kinds of decision the analysis does not find yet, each with its reproduction app. They
are strict expected failures: when one starts passing, move it to `expected_specs.json`."""

from __future__ import annotations

import pytest

from chameleonapi.analysis import analyze_report
from tests.paths import APPS


@pytest.mark.xfail(strict=True, reason="an argmax of per-category match counts is not expressed by a spec")
def test_argmax_of_match_counts() -> None:
    report = analyze_report(APPS / "miss_argmax_counts.py")
    assert [(s.kind, [c.name for c in s.categories]) for s in report.specs] == [
        ("multi_choice", ["kitchen", "office"])
    ]


@pytest.mark.xfail(strict=True, reason="Azure Image Analysis object tags (objects.list[i].tags[0]) are not followed")
def test_image_analysis_object_tags() -> None:
    report = analyze_report(APPS / "miss_ia_objects.py")
    assert [(s.kind, s.categories[0].labels) for s in report.specs] == [("true_false", ("car", "truck"))]


def test_unsupported_shapes_are_quiet_and_never_fail() -> None:
    for name in ("miss_argmax_counts.py", "miss_ia_objects.py"):
        report = analyze_report(APPS / name)
        assert report.errors == [] and report.specs == []
        assert len(report.notes) == 1 and "no decision found" in report.notes[0]
