"""`chameleonapi analyze`: the readable view and the --json contract."""

from __future__ import annotations

import argparse
import json

from chameleonapi.analysis import cli
from tests.paths import APPS


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["analyze", *argv])
    return args.func(args)


def test_json_has_exactly_the_documented_keys(capsys) -> None:
    assert run([str(APPS / "g_dict_category_labels.py"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 1
    assert set(data[0]) == {
        "kind",
        "order",
        "categories",
        "match",
        "threshold",
        "top_k",
        "provider",
        "method",
        "call",
    }
    assert data[0]["categories"][0] == {"name": "recycling", "labels": ["Bottle", "Plastic", "Tin can"]}
    assert set(data[0]["call"]) == {"file", "line"} and data[0]["call"]["line"] == 13


def test_text_view_shows_call_categories_and_deciding_lines(capsys) -> None:
    assert run([str(APPS / "g_substring.py")]) == 0
    out = capsys.readouterr().out
    assert "google label_detection" in out and "order: label" in out
    assert "glass: 'glass', 'bottle'" in out
    assert 'if "plastic" in text:' in out


def test_package_directory(capsys) -> None:
    assert run([str(APPS / "g_helper_pkg"), "--json"]) == 0
    (decision,) = json.loads(capsys.readouterr().out)
    assert decision["top_k"] == 6


def test_errors_are_one_line_and_set_the_exit_code(capsys, tmp_path) -> None:
    assert run([str(APPS / "g_syntax_error.py")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "syntax error" in err[0]
    assert run([str(tmp_path / "missing.py")]) == 2


def test_main_entry_point_registers_analyze(capsys) -> None:
    from chameleonapi.cli import main

    assert main(["analyze", str(APPS / "aws_min_confidence.py"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["threshold"] == 0.8
