"""The analysis is bounded: code without a vision SDK is answered before parsing, a time
budget cuts long analyses short with a partial spec, astroid's caches are given back, and
sources are decoded the way Python decodes them (byte-order mark, PEP 263 coding line)."""

from __future__ import annotations

from pathlib import Path

import astroid

from chameleonapi.analysis import analyze, analyze_report
from chameleonapi.analysis.budget import budget_seconds

APP = """from google.cloud import vision
client = vision.ImageAnnotatorClient()


def is_cat(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    return any(l.description in CATS for l in labels)
"""


def test_code_without_a_vision_sdk_is_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "plain.py"
    path.write_text("def f(x):\n    return -x if x else [y for y in range(3)]\n")
    report = analyze_report(path)
    assert report.specs == [] and report.errors == [] and report.notes == []
    assert report.sources == {}  # answered from the text: nothing was parsed


def test_sibling_module_with_the_call_is_followed_by_the_precheck(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text(
        "from google.cloud import vision\nclient = vision.ImageAnnotatorClient()\n"
        "def get_labels(content):\n"
        "    return client.label_detection(image=vision.Image(content=content)).label_annotations\n"
    )
    (tmp_path / "main.py").write_text(
        "from helpers import get_labels\n"
        "def is_dog(content):\n"
        "    return any(l.description == 'Dog' for l in get_labels(content))\n"
    )
    (spec,) = analyze(tmp_path / "main.py")
    assert spec.categories[0].labels == ("Dog",)


def test_budget_cuts_the_analysis_short_with_a_partial_spec() -> None:
    body = "".join(
        f"\ndef decide_{i}(content):\n"
        f"    for l in client.label_detection(image=vision.Image(content=content)).label_annotations:\n"
        f"        if l.description in ['A{i}', 'B{i}']:\n"
        f"            return 'hit{i}'\n"
        f"    return None\n"
        for i in range(120)
    )
    source = APP.replace("CATS", "['Cat']") + body
    full = analyze_report(source, budget=0)  # 0: unbounded
    cut = analyze_report(source, budget=0.01)
    assert len(full.specs) == 121 and not any(s.partial for s in full.specs)
    assert any("time budget" in note for note in cut.notes)
    assert len(cut.specs) < len(full.specs)
    assert all(s.partial and any("time budget" in r for r in s.reasons) for s in cut.specs)


def test_budget_setting_keyword_beats_environment(monkeypatch) -> None:
    monkeypatch.setenv("CHAMELEONAPI_ANALYSIS_BUDGET", "2.5")
    assert budget_seconds() == 2.5
    assert budget_seconds(0.5) == 0.5
    monkeypatch.setenv("CHAMELEONAPI_ANALYSIS_BUDGET", "soon")
    try:
        budget_seconds()
    except ValueError as exc:
        assert "CHAMELEONAPI_ANALYSIS_BUDGET" in str(exc)
    else:
        raise AssertionError("a malformed budget must be refused")


def test_astroid_caches_are_released(tmp_path: Path) -> None:
    analyze(APP.replace("CATS", "['Cat']"))  # astroid's builtins module is built once and kept
    before = set(astroid.MANAGER.astroid_cache)
    for i in range(5):
        path = tmp_path / f"app_{i}.py"
        path.write_text(APP.replace("CATS", f"['Cat{i}']"))
        assert len(analyze(path)) == 1
    assert set(astroid.MANAGER.astroid_cache) <= before


def test_byte_order_mark_and_coding_declaration_are_honoured(tmp_path: Path) -> None:
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbf" + APP.replace("CATS", "['Cat']").encode())
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\n" + APP.replace("CATS", "['Caf\xe9']").encode("latin-1"))
    for path, label in ((bom, "Cat"), (latin, "Café")):
        report = analyze_report(path)
        assert report.errors == []
        assert [s.categories[0].labels for s in report.specs] == [(label,)]


def test_a_function_the_interpreter_fails_on_loses_only_that_function(monkeypatch) -> None:
    """An internal error while interpreting one function is reported once and the other
    functions' decisions still come back."""
    from chameleonapi.analysis import analyze_report
    from chameleonapi.analysis.interp import Walker
    from tests.paths import APPS

    real_run = Walker.run

    def failing(self):
        if getattr(self.func, "name", "") == "get_labels":
            raise ValueError("injected")
        return real_run(self)

    monkeypatch.setattr(Walker, "run", failing)
    source = (APPS / "miss_flags_chained.py").read_text() + (
        "\n\ndef get_labels(content):\n"
        "    labels = client.label_detection(image=vision.Image(content=content)).label_annotations\n"
        "    return [l.description for l in labels if l.description == 'Cat']\n"
    )
    report = analyze_report(source)
    assert len(report.errors) == 1 and "get_labels" in report.errors[0] and "skipped" in report.errors[0]
    # the probe runs, which do not use the walker, still read the skipped function's decision
    assert [spec.categories[0].name for spec in report.specs] == ["fire", "get_labels"]
    assert report.specs[1].categories[0].labels == ("Cat",)


def test_a_file_the_parser_rejects_loses_only_the_broken_function() -> None:
    from chameleonapi.analysis import analyze_report
    from tests.paths import APPS

    report = analyze_report(APPS / "miss_py312_syntax.py")
    assert [spec.categories[0].labels for spec in report.specs] == [("Dog",)]
    assert len(report.errors) == 1
    assert "miss_py312_syntax.py:7" in report.errors[0] and "first is skipped" in report.errors[0]
