"""The corpus scorer grades an analysis result against an annotation as documented: field by
field, kind first, print-only applications quiet or not, failures recorded as crashes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("analysis_corpus", ROOT / "benchmarks" / "analysis_corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

PETS = {"kind": "true_false", "order": "label", "match": "casefold", "threshold": 0.7, "top_k": 10,
        "names": "derived", "categories": [{"name": "has_pet", "labels": ["dog", "cat"]}]}


def spec(**changes) -> dict:
    data = {"kind": "true_false", "order": "category", "match": "casefold", "threshold": 0.7, "top_k": 10,
            "categories": [{"name": "pet", "labels": ["Cat", "Dog"]}], "partial": False, "call": {"line": 5}}
    data.update(changes)
    return data


def result(*specs, errors=(), notes=()) -> dict:
    return {"seconds": 0.1, "specs": list(specs), "errors": list(errors), "notes": list(notes)}


def app(*decisions, role="decision") -> dict:
    return {"file": "x.py", "role": role, "decisions": list(decisions)}


def test_same_fields_are_exact_whatever_the_case_order_and_derived_name() -> None:
    assert corpus.score_app(app(PETS), result(spec())) == ("exact", [])


@pytest.mark.parametrize(
    "changes, field",
    [({"threshold": 0.5}, "threshold"), ({"match": "exact"}, "match"), ({"top_k": None}, "top_k"),
     ({"categories": [{"name": "pet", "labels": ["Cat"]}]}, "categories")],
)
def test_one_field_off_is_partly_right_and_says_which(changes: dict, field: str) -> None:
    outcome, details = corpus.score_app(app(PETS), result(spec(**changes)))
    assert outcome == "partly" and details[0].startswith(field)


def test_literal_names_and_multi_choice_order_are_compared() -> None:
    choice = {**PETS, "kind": "multi_choice", "names": "literal",
              "categories": [{"name": "cat", "labels": ["cat"]}, {"name": "dog", "labels": ["dog"]}]}
    got = spec(kind="multi_choice", order="label",
               categories=[{"name": "cat", "labels": ["Cat"]}, {"name": "dog", "labels": ["Dog"]}])
    assert corpus.score_app(app(choice), result(got))[0] == "exact"
    renamed = {**got, "categories": [{"name": "Cat", "labels": ["Cat"]}, {"name": "dog", "labels": ["Dog"]}]}
    assert corpus.score_app(app(choice), result(renamed))[0] == "partly"
    swapped = {**got, "categories": got["categories"][::-1]}
    assert corpus.score_app(app(choice), result(swapped))[0] == "partly"


def test_split_decision_is_partly_and_other_kind_is_wrong() -> None:
    assert corpus.score_app(app(PETS), result(spec(), spec()))[0] == "partly"
    assert corpus.score_app(app(PETS), result(spec(kind="multi_select")))[0] == "wrong"


def test_nothing_found_is_missed_and_a_failure_is_a_crash() -> None:
    assert corpus.score_app(app(PETS), result(notes=["no decision found"]))[0] == "missed"
    crash = result(errors=["x.py: code is nested too deeply to analyze"])
    assert corpus.score_app(app(PETS), crash)[0] == "crashed"


def test_print_only_app_is_quiet_without_specs_and_false_with_one() -> None:
    assert corpus.score_app(app(role="quiet"), result(notes=["no decision"]))[0] == "quiet"
    assert corpus.score_app(app(role="quiet"), result(spec()))[0] == "false"


def test_runtime_labels_expect_a_partial_spec_with_an_empty_category() -> None:
    runtime = {**PETS, "runtime_labels": True, "categories": [{"name": "x", "labels": []}]}
    unresolved = spec(partial=True, categories=[{"name": "x", "labels": []}])
    assert corpus.score_app(app(runtime), result(unresolved))[0] == "exact"
    assert corpus.score_app(app(runtime), result(spec(partial=True)))[0] == "partly"


def test_a_crashing_subprocess_is_recorded(tmp_path: Path) -> None:
    source = tmp_path / "app.py"
    source.write_text("from google.cloud import vision\n")
    report = corpus.run_analysis(source, limit_s=60)
    assert report["errors"] == [] and report["specs"] == []
    timed_out = corpus.run_analysis(source, limit_s=0.001)
    assert corpus.score_app(app(PETS), timed_out)[0] == "crashed"


def test_every_annotation_has_the_documented_fields() -> None:
    apps = json.loads((ROOT / "benchmarks" / "corpus" / "annotations.json").read_text())["apps"]
    assert sum(a["role"] == "decision" for a in apps) >= 40
    for entry in apps:
        assert entry["role"] in ("decision", "quiet") and entry["provider"] in ("google", "azure_cv", "azure_ia", "aws")
        assert entry["source"]["index_id"] or entry["source"]["repo"]
        assert (entry["role"] == "quiet") == (not entry["decisions"])
        for decision in entry["decisions"]:
            assert decision["kind"] in ("true_false", "multi_choice", "multi_select")
            assert decision["names"] in ("literal", "derived") and decision["categories"]


def test_found_is_kind_and_half_the_labels_whatever_the_other_fields() -> None:
    loose = spec(threshold=0.2, match="exact", top_k=None, categories=[{"name": "p", "labels": ["dog", "Cat", "pet"]}])
    assert corpus.score_app(app(PETS), result(loose))[0] == "partly"
    assert corpus.found_app(app(PETS), result(loose))
    assert not corpus.found_app(app(PETS), result(spec(categories=[{"name": "p", "labels": ["dog", "a", "b", "c"]}])))
    assert not corpus.found_app(app(PETS), result(spec(kind="multi_select")))
    assert not corpus.found_app(app(PETS), result(notes=["no decision found"]))


def test_found_needs_every_annotated_decision_at_its_call() -> None:
    pets = {**PETS, "call_line": 5}
    other = {**PETS, "call_line": 9, "categories": [{"name": "car", "labels": ["Car"]}]}
    both = result(spec(), spec(call={"line": 9}, categories=[{"name": "c", "labels": ["car"]}]))
    assert corpus.found_app(app(pets, other), both)
    assert not corpus.found_app(app(pets, other), result(spec()))
    assert not corpus.found_app(app(other), result(spec(categories=[{"name": "c", "labels": ["car"]}])))


def test_found_for_runtime_or_exclusion_compares_the_kind_only() -> None:
    runtime = {**PETS, "runtime_labels": True, "categories": [{"name": "x", "labels": []}]}
    excluded = {**PETS, "kind": "multi_choice", "complement": ["Person"], "categories": [{"name": "x", "labels": []}]}
    assert corpus.found_app(app(runtime), result(spec()))
    assert corpus.found_app(app(excluded), result(spec(kind="multi_choice")))
    assert not corpus.found_app(app(excluded), result(spec()))
    assert corpus.score_app(app(excluded), result(spec(kind="multi_choice", exclude=["person"])))[0] == "exact"
    assert corpus.score_app(app(excluded), result(spec(kind="multi_choice")))[0] == "partly"


def test_print_only_app_is_found_when_quiet_and_a_crash_is_never_found() -> None:
    assert corpus.found_app(app(role="quiet"), result())
    assert not corpus.found_app(app(role="quiet"), result(spec()))
    assert not corpus.found_app(app(PETS), result(spec(), errors=["x.py: analysis failed: boom"]))


def test_object_count_fields_are_compared_where_annotated() -> None:
    count = {**PETS, "target": "objects", "count_op": ">", "count": 2}
    counted = spec(target="objects", count_op=">", count=2)
    assert corpus.score_app(app(count), result(counted))[0] == "exact"
    outcome, details = corpus.score_app(app(count), result(spec()))
    assert outcome == "partly" and details[0].startswith("target")
    at_run_time = {**count, "count": None, "count_runtime": True}
    assert corpus.score_app(app(at_run_time), result(spec(target="objects", count_op=">", count=None)))[0] == "exact"
    assert corpus.found_app(app(count), result(spec()))


def test_split_keeps_only_the_apps_of_that_half(tmp_path: Path) -> None:
    quiet_source = "from google.cloud import vision\n"
    (tmp_path / "a.py").write_text(quiet_source)
    (tmp_path / "b.py").write_text(quiet_source)
    entries = [{"file": name, "split": half, "role": "quiet", "provider": "google", "decisions": []}
               for name, half in (("a.py", "dev"), ("b.py", "heldout"))]
    annotations = tmp_path / "annotations.json"
    annotations.write_text(json.dumps({"apps": entries}))
    out = tmp_path / "out.json"
    corpus.main(["--sources", str(tmp_path), "--annotations", str(annotations), "--split", "heldout",
                 "--json", str(out)])
    written = json.loads(out.read_text())
    assert [row["file"] for row in written["apps"]] == ["b.py"] and written["split"] == "heldout"
    assert written["summary"]["quiet"]["quiet"] == 1 and written["summary"]["crashed"] == 0


def _annotated(folder: str) -> list[dict]:
    return json.loads((ROOT / "benchmarks" / folder / "annotations.json").read_text())["apps"]


@pytest.mark.parametrize("folder, earlier", [("corpus_heldout", ("corpus",)),
                                             ("corpus_new", ("corpus", "corpus_heldout")),
                                             ("corpus_fourth", ("corpus", "corpus_heldout", "corpus_new")),
                                             ("corpus_fifth", ("corpus", "corpus_heldout", "corpus_new", "corpus_fourth")),
                                             ("corpus_sixth", ("corpus", "corpus_heldout", "corpus_new", "corpus_fourth",
                                                               "corpus_fifth"))])
def test_a_later_corpus_is_new_and_split_by_the_hash_of_the_index_id(folder: str, earlier: tuple) -> None:
    """Each later corpus shares no app with the earlier ones, and its halves follow the rule
    fixed before any change (`heldout` when the sha256 of the index id is odd)."""
    import hashlib

    apps = _annotated(folder)
    assert len(apps) >= 60
    ids = [a["source"]["index_id"] for a in apps]
    seen = {a["source"]["index_id"] for name in earlier for a in _annotated(name)}
    assert len(set(ids)) == len(ids) and not set(ids) & seen
    for entry in apps:
        digest = int(hashlib.sha256(entry["source"]["index_id"].encode()).hexdigest(), 16)
        assert entry["split"] == ("heldout" if digest % 2 else "dev")
        assert entry["role"] in ("decision", "quiet") and entry["provider"] in ("google", "azure_cv", "azure_ia", "aws")
        assert (entry["role"] == "quiet") == (not entry["decisions"])
        for decision in entry["decisions"]:
            assert decision["kind"] in ("true_false", "multi_choice", "multi_select")
            assert decision["names"] in ("literal", "derived") and decision["categories"]
            unlabelled = decision.get("runtime_labels") or "complement" in decision
            assert unlabelled or all(c["labels"] for c in decision["categories"])
    assert {"dev", "heldout"} == {a["split"] for a in apps}


def test_a_one_category_multi_select_is_compared_as_true_false_only_when_asked() -> None:
    """A multi-select over one category decides what a true-false decision over it decides;
    `--one-category-as-true-false` compares it so, the default keeps the kinds as written."""
    expected = {"kind": "multi_select", "categories": [{"name": "hit", "labels": ["Dress", "Top"]}]}
    spec = {"kind": "true_false", "categories": [{"name": "found", "labels": ["Top", "Dress"]}]}
    assert not corpus.found_decision(expected, spec)
    corpus.ONE_CATEGORY_AS_TRUE_FALSE = True
    try:
        assert corpus.found_decision(expected, spec)
        two = {"kind": "multi_select", "categories": [{"name": "a", "labels": ["Dress"]}, {"name": "b", "labels": ["Top"]}]}
        assert not corpus.found_decision(two, spec)
    finally:
        corpus.ONE_CATEGORY_AS_TRUE_FALSE = False
