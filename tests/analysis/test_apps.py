"""Every test application's full spec (kind, order, categories, match, threshold, top-k,
provider, call and condition locations, partial reasons, warnings) is what it should be."""

from __future__ import annotations

import json
import os

import pytest

from chameleonapi.analysis import analyze, analyze_report
from chameleonapi.spec import DecisionSpec
from tests.paths import APPS

EXPECTED = json.loads((APPS / "expected_specs.json").read_text())


def relative(spec: DecisionSpec) -> dict:
    data = spec.to_dict()
    root = str(APPS.resolve())
    data["call"]["file"] = os.path.relpath(data["call"]["file"], root)
    for cond in data["conditions"]:
        cond["file"] = os.path.relpath(cond["file"], root)
    data["warnings"] = [w.replace(root + "/", "") for w in data["warnings"]]
    return data


def test_there_are_at_least_thirty_apps_over_four_sdks() -> None:
    with_specs = [name for name, specs in EXPECTED.items() if specs]
    assert len(with_specs) >= 30
    providers = {spec["provider"] for specs in EXPECTED.values() for spec in specs}
    assert providers == {"google", "azure_cv", "azure_ia", "aws"}
    assert {spec["kind"] for specs in EXPECTED.values() for spec in specs} == {
        "true_false",
        "multi_choice",
        "multi_select",
    }
    assert {spec["order"] for specs in EXPECTED.values() for spec in specs} >= {"label", "category", "last"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_app_spec_matches_expected(name: str) -> None:
    specs = analyze(APPS / name)
    assert [relative(s) for s in specs] == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_app_specs_round_trip_through_json(name: str) -> None:
    for spec in analyze(APPS / name):
        again = DecisionSpec.from_json(spec.to_json())
        assert again == spec
        assert again.stable_hash() == spec.stable_hash()


def test_analysis_of_source_text_equals_analysis_of_the_file() -> None:
    path = APPS / "g_inline_loop.py"
    from_file = analyze(path)[0]
    from_text = analyze(path.read_text())[0]
    assert from_text.semantic_dict() == from_file.semantic_dict()
    assert from_text.call.line == from_file.call.line


def test_call_without_decision_is_reported_as_a_note() -> None:
    report = analyze_report(APPS / "g_unrelated.py")
    assert report.specs == []
    assert len(report.notes) == 1 and "label_detection" in report.notes[0]


def test_syntax_error_gives_one_line_error_and_no_spec() -> None:
    report = analyze_report(APPS / "g_syntax_error.py")
    assert report.specs == []
    assert len(report.errors) == 1
    assert "\n" not in report.errors[0] and "syntax error" in report.errors[0]
    assert "g_syntax_error.py:2" in report.errors[0]


def test_package_directory_follows_its_own_imports() -> None:
    (spec,) = analyze(APPS / "g_helper_pkg")
    assert spec.call.file.endswith("vision_helpers.py")
    assert [c.file.rsplit("/", 1)[-1] for c in spec.conditions] == ["app.py", "app.py"]
    assert spec.category_names == ["fruit", "vegetables"]


def test_single_file_of_a_package_follows_imports_to_siblings() -> None:
    (spec,) = analyze(APPS / "g_helper_pkg" / "app.py")
    assert spec.categories[0].labels == ("Apple", "Banana", "Orange")
    assert spec.top_k == 6 and spec.threshold == 0.5


def test_a_decision_by_exclusion_is_reported_partial_with_its_excluded_labels() -> None:
    """`if x in SKIP: continue` and `if x not in SKIP: return x`: any label but those is the
    outcome; the spec says so and stays partial (it is never customized)."""
    report = analyze_report(APPS / "miss_blocklist.py")
    assert report.errors == []
    assert [s.partial for s in report.specs] == [True, True]
    assert all("exclusion" in s.reasons[0] and "[Sky, Tree]" in s.reasons[0] for s in report.specs)
    assert [s.call.line for s in report.specs if s.call] == [10, 19]


