"""Shapes taken from public applications (`tests/apps/real_*`): the analysis never fails on
them, and the ones that only print, filter or store labels report no decision, only a note
naming the call (their full expected specs are in `expected_specs.json`)."""

from __future__ import annotations

import json

import pytest

from chameleonapi.analysis import analyze_report
from tests.paths import APPS

EXPECTED = json.loads((APPS / "expected_specs.json").read_text())
REAL = sorted(name for name in EXPECTED if name.startswith("real_"))
QUIET = [name for name in REAL if not EXPECTED[name]]


def test_real_shapes_cover_decisions_and_quiet_apps() -> None:
    assert len(REAL) - len(QUIET) >= 20
    assert len(QUIET) >= 4


@pytest.mark.parametrize("name", REAL)
def test_real_shape_is_analyzed_without_error(name: str) -> None:
    report = analyze_report(APPS / name)
    assert report.errors == []


@pytest.mark.parametrize("name", QUIET)
def test_print_only_shape_reports_the_call_and_no_decision(name: str) -> None:
    report = analyze_report(APPS / name)
    assert report.specs == []
    assert len(report.notes) == 1 and "no decision" in report.notes[0]
