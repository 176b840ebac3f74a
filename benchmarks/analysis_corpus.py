"""Score `chameleonapi.analysis` against hand-written annotations of public applications.

    python benchmarks/analysis_corpus.py --sources /tmp/corpus [--json PATH] [--only NAME]
        [--annotations PATH] [--split dev|heldout|all]

The applications themselves are not in this repository: `benchmarks/corpus/annotations.json`
(or another annotation file given with `--annotations`, e.g. the held-out corpus in
`benchmarks/corpus_heldout/`) names each one (repository, path, search-index id) and says what
it decides; the sources are read from `--sources` (see the README beside the annotations for
how to fetch them). `--split` keeps the applications whose `split` field is `dev` or
`heldout`. Each file is analysed in its own subprocess with a time limit, so a hang or a crash
is recorded, not fatal.

Outcome of a decision application (one per file):
  exact     every annotated decision is found with the same kind and the same compared fields,
            and the analysis reports no other decision for the file;
  partly    the annotated decisions are found with the right kind, but a compared field differs,
            a decision comes out split into several specs, an extra one appears, or one of
            several annotated decisions is missing;
  wrong     a decision is reported for the annotated call, but with another kind;
  missed    no decision at all (a note or nothing);
  crashed   the analysis raised, recursed too deeply, or ran past the time limit.
A print-only application is `quiet` when no decision is reported and `false` otherwise
(`crashed` as above).

A second, lenient score (`found`, `found_decision`) says whether the decision was found at all:
every annotated decision has a spec at its call with the same kind whose categories cover the
annotated ones (each annotated label set shares at least half of the larger of the two sets
with one category of the spec, compared case-insensitively); names, order, match, threshold,
top-k, object counts and extra decisions are not compared. For a decision whose labels are read
at run time or that is defined by exclusion (`complement`), the kind alone is compared. A
print-only application counts as found when it is quiet.

Compared fields (`compare_decision`):
  kind        equal (with `--one-category-as-true-false`, a multi-select over one category is
              compared as true_false, the decision it makes);
  categories  label sets compared case-insensitively (the spec's `match` says how the app
              compares); for multi_choice as an ordered list (order decides the winner), for
              true_false and multi_select as a multiset; names compared only where the
              annotation marks them `"names": "literal"` (the outcome strings are written in
              the code: returned or assigned strings, values of a literal dict), never where
              the spec has to derive a name (flag variables, functions, non-literal outcomes);
  order       compared for multi_choice only (true_false and multi_select decide the same
              whatever the order);
  match       equal;
  threshold   equal within 1e-6 (None = no threshold);
  top_k       equal;
  partial     an annotation with `"runtime_labels": true` (labels read at run time) expects
              `partial: true` and a category left without labels; only kind and that are
              compared then;
  complement  an annotation with `"complement": [labels]` (a decision defined by exclusion,
              "anything except these") expects a partial spec or one whose `exclude` lists
              those labels; only kind and that are compared then;
  target      where the annotation has `target` (`objects`: the decision counts the reported
              objects), the spec's `target` must be equal, and `count_op` too where annotated
              (`count` as well unless `count_runtime` says it is read at run time).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANNOTATIONS = ROOT / "benchmarks" / "corpus" / "annotations.json"
TIME_LIMIT_S = 60.0
OUTCOMES = ("exact", "partly", "wrong", "missed", "crashed")
QUIET_OUTCOMES = ("quiet", "false", "crashed")

# Runs in a fresh interpreter per file: a RecursionError, segfault or hang stays there.
WORKER = r"""
import json, sys, time
sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
from chameleonapi.analysis import analyze_report
path = sys.argv[1]
start = time.perf_counter()
report = analyze_report(path)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "specs": [s.to_dict() for s in report.specs],
                  "errors": report.errors, "notes": report.notes}))
"""


def run_analysis(path: Path, limit_s: float = TIME_LIMIT_S) -> dict:
    """The analysis report of one file, from its own subprocess: specs, errors, notes, seconds."""
    env_path = str(ROOT)
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", WORKER, str(path)],
            capture_output=True,
            text=True,
            timeout=limit_s,
            env=_env(env_path),
        )
    except subprocess.TimeoutExpired:
        return {"seconds": limit_s, "specs": [], "errors": [f"timed out after {limit_s:.0f} s"], "notes": []}
    if proc.returncode != 0 or not proc.stdout.strip():
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {
            "seconds": time.perf_counter() - start,
            "specs": [],
            "errors": [f"process failed ({proc.returncode}): {tail}"],
            "notes": [],
        }
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _env(pythonpath: str) -> dict:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = pythonpath + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("CHAMELEONAPI_THREADS", "1")
    return env


def _labels(category: dict) -> list[str]:
    return sorted(label.casefold() for label in category.get("labels", []))


def compare_decision(expected: dict, spec: dict) -> list[str]:
    """Fields of `spec` that differ from the annotation (empty: exact). Kind is checked by the
    caller."""
    diffs: list[str] = []
    if expected.get("runtime_labels"):
        if not spec.get("partial") or all(c.get("labels") for c in spec["categories"]):
            diffs.append("partial: expected a partial spec with a category whose labels are read at run time")
        return diffs
    if "complement" in expected:
        excluded = {label.casefold() for label in spec.get("exclude") or []}
        if not spec.get("partial") and excluded != {label.casefold() for label in expected["complement"]}:
            diffs.append("complement: expected a decision defined by exclusion (partial, or `exclude` listing the labels)")
        return diffs
    diffs += _target_diffs(expected, spec)
    want, got = expected["categories"], spec["categories"]
    if expected["kind"] == "multi_choice":
        same = [_labels(c) for c in want] == [_labels(c) for c in got]
    else:
        same = sorted(map(_labels, want)) == sorted(map(_labels, got))
    if not same:
        diffs.append(f"categories: expected {_brief(want)}, got {_brief(got)}")
    elif expected.get("names") == "literal":
        by_labels = {tuple(_labels(c)): c["name"] for c in got}
        wrong = [c["name"] for c in want if by_labels.get(tuple(_labels(c))) != c["name"]]
        if wrong:
            diffs.append(f"category names: expected {[c['name'] for c in want]}, got {[c['name'] for c in got]}")
    if expected["kind"] == "multi_choice" and expected["order"] != spec["order"]:
        diffs.append(f"order: expected {expected['order']}, got {spec['order']}")
    for key in ("match", "top_k"):
        if expected.get(key) != spec.get(key):
            diffs.append(f"{key}: expected {expected.get(key)!r}, got {spec.get(key)!r}")
    want_t, got_t = expected.get("threshold"), spec.get("threshold")
    if (want_t is None) != (got_t is None) or (want_t is not None and abs(want_t - got_t) > 1e-6):
        diffs.append(f"threshold: expected {want_t!r}, got {got_t!r}")
    return diffs


def _target_diffs(expected: dict, spec: dict) -> list[str]:
    """Object-count fields, compared only where the annotation states them."""
    if "target" not in expected:
        return []
    keys = ["target"] + [k for k in ("count_op", "count") if k in expected]
    if expected.get("count_runtime"):
        keys = [k for k in keys if k != "count"]
    got = {"target": spec.get("target", "labels"), "count_op": spec.get("count_op"), "count": spec.get("count")}
    return [f"{k}: expected {expected[k]!r}, got {got[k]!r}" for k in keys if expected[k] != got[k]]


def covers(expected: list[str], got: list[str]) -> bool:
    """Lenient category match: the two label sets share at least half of the larger one."""
    want, have = {label.casefold() for label in expected}, {label.casefold() for label in got}
    return bool(want) and 2 * len(want & have) >= max(len(want), len(have))


# `--one-category-as-true-false`: a multi-select over one category selects it or not, which is
# what a true-false decision over it decides; its kind is then compared as true_false.
ONE_CATEGORY_AS_TRUE_FALSE = False


def kind_of(decision: dict) -> str:
    """The kind compared: as written, or true_false for a one-category multi-select."""
    if ONE_CATEGORY_AS_TRUE_FALSE and decision["kind"] == "multi_select" and len(decision["categories"]) == 1:
        return "true_false"
    return decision["kind"]


def found_decision(expected: dict, spec: dict) -> bool:
    """Lenient score of one spec against one annotated decision: same kind, and every annotated
    label set covered by one of the spec's categories (kind only for run-time or exclusion)."""
    if kind_of(spec) != kind_of(expected):
        return False
    if expected.get("runtime_labels") or "complement" in expected:
        return True
    got = [c.get("labels", []) for c in spec["categories"]]
    return all(any(covers(c["labels"], labels) for labels in got) for c in expected["categories"] if c["labels"])


def found_app(app: dict, result: dict) -> bool:
    """Lenient outcome of one application (see the module docstring): every annotated decision
    found at its call by a distinct spec; a print-only application found when quiet."""
    if _crashed(result):
        return False
    specs = result["specs"]
    if app["role"] == "quiet":
        return not specs
    used: set[int] = set()
    for expected in app["decisions"]:
        line = expected.get("call_line")
        match = next(
            (
                i
                for i, s in enumerate(specs)
                if i not in used and (line is None or s["call"]["line"] == line) and found_decision(expected, s)
            ),
            None,
        )
        if match is None:
            return False
        used.add(match)
    return True


def _brief(categories: list[dict]) -> str:
    return "[" + "; ".join(f"{c['name']}: {', '.join(c['labels']) or '-'}" for c in categories) + "]"


def _crashed(result: dict) -> bool:
    return any(
        "nested too deeply" in e or "analysis failed" in e or "timed out" in e or "process failed" in e
        for e in result["errors"]
    )


def score_app(app: dict, result: dict) -> tuple[str, list[str]]:
    """(outcome, details) of one application."""
    specs = result["specs"]
    if _crashed(result):
        return "crashed", result["errors"]
    if app["role"] == "quiet":
        if not specs:
            return "quiet", []
        return "false", [f"reported {s['kind']} {_brief(s['categories'])}" for s in specs]
    if not specs:
        return "missed", result["notes"] + result["errors"]
    details: list[str] = []
    used: set[int] = set()
    outcome = "exact"
    pending = []
    for expected in app["decisions"]:  # first pass: decisions found with their kind
        line = expected.get("call_line")
        at_call = [i for i, s in enumerate(specs) if line is None or s["call"]["line"] == line]
        same_kind = [i for i in at_call if kind_of(specs[i]) == kind_of(expected) and i not in used]
        if not same_kind:
            pending.append((expected, at_call))
            continue
        best = min(same_kind, key=lambda i: len(compare_decision(expected, specs[i])))
        used.add(best)
        diffs = compare_decision(expected, specs[best])
        if diffs:
            details += diffs
            outcome = _worse(outcome, "partly")
        others = [i for i in at_call if i not in used]
        if len(app["decisions"]) == 1 and others:
            details.append(f"split into {len(at_call)} decisions at the call")
            used.update(others)
            outcome = _worse(outcome, "partly")
    for expected, at_call in pending:  # second pass: another kind, or nothing at the call
        free = [i for i in at_call if i not in used]
        if not free:
            where = f"the call on line {expected['call_line']}" if expected.get("call_line") else "the call"
            details.append(f"a {expected['kind']} decision at {where} is missing")
            outcome = _worse(outcome, "partly")  # others were found: "missed" means none at all
            continue
        details.append(f"kind: expected {expected['kind']}, got {specs[free[0]]['kind']}")
        used.add(free[0])
        outcome = _worse(outcome, "wrong")
    extra = [i for i in range(len(specs)) if i not in used]
    if extra and outcome in ("exact", "partly"):
        details.append(f"{len(extra)} extra decision(s): " + "; ".join(_brief(specs[i]["categories"]) for i in extra))
        outcome = _worse(outcome, "partly")
    return outcome, details


def _worse(a: str, b: str) -> str:
    rank = {"exact": 0, "partly": 1, "wrong": 2}
    return max(a, b, key=rank.__getitem__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", required=True, help="folder holding the corpus files")
    parser.add_argument("--annotations", default=str(ANNOTATIONS), help="annotation file (default: the old corpus)")
    parser.add_argument(
        "--split", choices=("dev", "heldout", "all"), default="all", help="score only the apps of this split"
    )
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--only", action="append", default=[], help="score only this file (repeatable)")
    parser.add_argument("--limit", type=float, default=TIME_LIMIT_S, help="seconds per file")
    parser.add_argument("-v", "--verbose", action="store_true", help="print why each file is not exact")
    parser.add_argument("--one-category-as-true-false", action="store_true",
                        help="compare a one-category multi-select as the true-false decision it decides")
    args = parser.parse_args(argv)
    global ONE_CATEGORY_AS_TRUE_FALSE
    ONE_CATEGORY_AS_TRUE_FALSE = args.one_category_as_true_false

    apps = json.loads(Path(args.annotations).read_text())["apps"]
    if args.split != "all":
        apps = [a for a in apps if a.get("split") == args.split]
    if args.only:
        apps = [a for a in apps if a["file"] in args.only]
    sources = Path(args.sources)
    rows = []
    for app in apps:
        path = sources / app["file"]
        if not path.exists():
            rows.append({"file": app["file"], "role": app["role"], "outcome": "absent", "details": [], "seconds": None})
            continue
        result = run_analysis(path, args.limit)
        outcome, details = score_app(app, result)
        details = [line.replace(f"{path.parent}/", "") for line in details]  # where the sources lie is not a result
        found = found_app(app, result)
        want_hash = app.get("source", {}).get("sha256")
        same_source = want_hash is None or hashlib.sha256(path.read_bytes()).hexdigest() == want_hash
        rows.append(
            {
                "file": app["file"],
                "role": app["role"],
                "provider": app["provider"],
                "kinds": [d["kind"] for d in app.get("decisions", [])],
                "patterns": app.get("patterns", []),
                "outcome": outcome,
                "found": found,
                "details": details,
                "seconds": result["seconds"],
                "specs": len(result["specs"]),
                "same_source": same_source,
            }
        )

    print(f"{'file':58} {'role':8} {'outcome':8} {'found':5} {'ms':>7}")
    for row in rows:
        ms = "" if row["seconds"] is None else f"{row['seconds'] * 1000:7.0f}"
        found = "" if "found" not in row else ("yes" if row["found"] else "no")
        print(f"{row['file'][:58]:58} {row['role']:8} {row['outcome']:8} {found:5} {ms:>7}")
        if args.verbose and row["outcome"] not in ("exact", "quiet"):
            for line in row["details"]:
                print(f"    {line}")
    summary = summarize(rows)
    print()
    dec, quiet = summary["decision"], summary["quiet"]
    print(
        f"decision apps: {dec['total']}  "
        + "  ".join(f"{k} {dec[k]}" for k in OUTCOMES)
        + f"  ({dec['exact_pct']:.0f}% exact, {dec['found_pct']:.0f}% found)"
    )
    print(
        f"print-only apps: {quiet['total']}  "
        + "  ".join(f"{k} {quiet[k]}" for k in QUIET_OUTCOMES)
        + f"  ({quiet['quiet_pct']:.0f}% quiet)"
    )
    print(f"crashes: {summary['crashed']}")
    t = summary["seconds"]
    if t["median"] is not None:
        print(f"time per file: median {t['median'] * 1000:.0f} ms, max {t['max'] * 1000:.0f} ms ({t['max_file']})")
    if summary["absent"]:
        print(f"absent from --sources: {summary['absent']}")
    changed = [r["file"] for r in rows if r.get("same_source") is False]
    if changed:
        print(f"differ from the annotated copy (sha256), check the annotation still holds: {', '.join(changed)}")
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        meta = {"annotations": _display_path(Path(args.annotations)), "split": args.split,
                "one_category_as_true_false": ONE_CATEGORY_AS_TRUE_FALSE}
        out.write_text(json.dumps({**meta, "summary": summary, "apps": rows}, indent=2) + "\n")
    return 0


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def summarize(rows: list[dict]) -> dict:
    """Counts per outcome for decision and print-only apps, and time per file."""
    present = [r for r in rows if r["outcome"] != "absent"]
    dec = Counter(r["outcome"] for r in present if r["role"] == "decision")
    found = sum(1 for r in present if r["role"] == "decision" and r.get("found"))
    quiet = Counter(r["outcome"] for r in present if r["role"] == "quiet")
    n_dec, n_quiet = sum(dec.values()), sum(quiet.values())
    times = [r["seconds"] for r in present if r["seconds"] is not None]
    slowest = max(present, key=lambda r: r["seconds"] or 0.0) if present else None
    return {
        "decision": {
            "total": n_dec,
            **{k: dec[k] for k in OUTCOMES},
            "exact_pct": 100.0 * dec["exact"] / n_dec if n_dec else 0.0,
            "found": found,
            "found_pct": 100.0 * found / n_dec if n_dec else 0.0,
        },
        "quiet": {
            "total": n_quiet,
            **{k: quiet[k] for k in QUIET_OUTCOMES},
            "quiet_pct": 100.0 * quiet["quiet"] / n_quiet if n_quiet else 0.0,
        },
        "seconds": {
            "median": statistics.median(times) if times else None,
            "max": max(times) if times else None,
            "max_file": slowest["file"] if slowest else None,
        },
        "crashed": dec["crashed"] + quiet["crashed"],
        "absent": len(rows) - len(present),
        "by_provider": dict(Counter(r["provider"] for r in present)),
    }


if __name__ == "__main__":
    sys.exit(main())
