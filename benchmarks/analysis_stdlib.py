"""Analyze every file of the Python standard library in one process, as `analyze` over a
large code base or the runtime inside a long-lived application would.

    python benchmarks/analysis_stdlib.py [--root DIR] [--json PATH] [--limit N]

The standard library calls no cloud vision API, so every decision reported is a false
one. Checked: no exception escapes, no false decision, no file takes more than the time
budget (1 s), files that call no vision SDK are answered by the pre-check in under 50 ms,
and the process's resident memory after the run is within 300 MB of where it started
(astroid's caches are released after each analysis). Times are given as wall clock and as
the thread's CPU time (what the analysis costs, and what its budget counts); on a shared
machine the wall clock also counts waiting for a core, so the limits are checked on CPU
time and the wall clock is reported beside it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FILE_LIMIT_S = 1.0
QUICK_LIMIT_S = 0.050
RSS_LIMIT_MB = 300.0


def rss_mb() -> float:
    """Resident set size of this process now (Linux /proc; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def stdlib_files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*.py") if "site-packages" not in p.parts and "dist-packages" not in p.parts
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=sysconfig.get_paths()["stdlib"], help="standard library folder")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--limit", type=int, default=0, help="analyze only the first N files")
    parser.add_argument(
        "--full",
        action="store_true",
        help="skip the pre-check: parse and interpret every file (measures the budget and memory release)",
    )
    args = parser.parse_args(argv)

    from chameleonapi.analysis import analyze_report
    from chameleonapi.analysis.precheck import may_call_sdk
    from chameleonapi.analysis.project import read_source
    from chameleonapi.analysis.run import run

    files = stdlib_files(Path(args.root))
    if args.limit:
        files = files[: args.limit]
    analyze_report("import os\n")  # imports warm, as in a process that has analyzed before
    start_rss = rss_mb()
    peak_rss = start_rss
    rows = []
    exceptions: list[str] = []
    t0 = time.perf_counter()
    for i, path in enumerate(files):

        def read(p: Path) -> str | None:
            try:
                return read_source(p)
            except OSError:
                return None

        start, cpu = time.perf_counter(), time.thread_time()
        try:
            report = run(path, precheck=not args.full) if args.full else analyze_report(path)
        except Exception as exc:  # must never happen: counted, not fatal
            exceptions.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        seconds, cpu = time.perf_counter() - start, time.thread_time() - cpu
        with_sdk = args.full or may_call_sdk(path, read)
        rows.append(
            {
                "file": str(path.relative_to(args.root)),
                "seconds": seconds,
                "cpu_seconds": cpu,
                "with_sdk": with_sdk,
                "specs": len(report.specs),
                "errors": len(report.errors),
                # failures the analysis caught inside one function or decision (it goes on)
                "internal_errors": [e for e in report.errors if "could not be analyzed" in e or "could not be built" in e],
                "budget_ran_out": any("time budget" in n for n in report.notes),
            }
        )
        if i % 50 == 0:
            peak_rss = max(peak_rss, rss_mb())
    total = time.perf_counter() - t0
    end_rss = rss_mb()
    peak_rss = max(peak_rss, end_rss)

    quick = [r for r in rows if not r["with_sdk"]]
    parsed = [r for r in rows if r["with_sdk"]]
    slowest = max(rows, key=lambda r: r["seconds"]) if rows else None
    summary = {
        "root": str(args.root),
        "mode": "full analysis of every file" if args.full else "analyze (pre-check, then analysis)",
        "files": len(files),
        "exceptions": len(exceptions),
        "internal_errors": [e for r in rows for e in r["internal_errors"]][:20],
        "false_decisions": sum(r["specs"] for r in rows),
        "files_with_false_decisions": [r["file"] for r in rows if r["specs"]],
        "files_over_1s": [r["file"] for r in rows if r["seconds"] > FILE_LIMIT_S],
        "files_over_1s_cpu": [r["file"] for r in rows if r["cpu_seconds"] > FILE_LIMIT_S],
        "max_cpu_ms": max((r["cpu_seconds"] for r in rows), default=0) * 1000,
        "budget_ran_out": [r["file"] for r in rows if r["budget_ran_out"]],
        "without_sdk": {
            "files": len(quick),
            "median_ms": statistics.median(r["seconds"] for r in quick) * 1000 if quick else None,
            "max_ms": max((r["seconds"] for r in quick), default=0) * 1000,
            "max_cpu_ms": max((r["cpu_seconds"] for r in quick), default=0) * 1000,
            "over_50ms": [r["file"] for r in quick if r["seconds"] > QUICK_LIMIT_S],
            "over_50ms_cpu": [r["file"] for r in quick if r["cpu_seconds"] > QUICK_LIMIT_S],
        },
        "with_sdk_text": {
            "files": len(parsed),
            "median_ms": statistics.median(r["seconds"] for r in parsed) * 1000 if parsed else None,
            "max_ms": max((r["seconds"] for r in parsed), default=0) * 1000,
        },
        "slowest": {"file": slowest["file"], "ms": slowest["seconds"] * 1000} if slowest else None,
        "total_seconds": total,
        "rss_mb": {"start": start_rss, "end": end_rss, "peak": peak_rss, "growth": end_rss - start_rss},
        "limits": {
            "file_s": FILE_LIMIT_S,
            "without_sdk_ms": QUICK_LIMIT_S * 1000,
            "rss_growth_mb": RSS_LIMIT_MB,
        },
        "exception_messages": exceptions[:20],
    }
    summary["meets_all"] = (
        not exceptions
        and not summary["internal_errors"]
        and summary["false_decisions"] == 0
        and not summary["files_over_1s_cpu"]
        and not summary["without_sdk"]["over_50ms_cpu"]
        and summary["rss_mb"]["growth"] <= RSS_LIMIT_MB
    )

    w = summary["without_sdk"]
    p = summary["with_sdk_text"]
    print(
        f"standard library: {args.root} ({len(files)} files, {total:.1f} s in one process; {summary['mode']})"
    )
    print(f"{'measure':44} {'value':>14} {'limit':>10}")
    print(f"{'exceptions':44} {len(exceptions):14d} {0:10d}")
    print(f"{'internal errors caught per function':44} {len(summary['internal_errors']):14d} {0:10d}")
    print(f"{'false decisions':44} {summary['false_decisions']:14d} {0:10d}")
    print(f"{'files over 1 s (wall clock)':44} {len(summary['files_over_1s']):14d} {0:10d}")
    print(f"{'files over 1 s (CPU time, what the budget counts)':44} {len(summary['files_over_1s_cpu']):14d}")
    print(f"{'max CPU ms for one file':44} {summary['max_cpu_ms']:14.0f}")
    print(f"{'files answered by the pre-check':44} {w['files']:14d}")
    if quick:
        print(f"{'  median / max ms (wall clock)':44} {w['median_ms']:7.2f} /{w['max_ms']:6.1f}")
        print(f"{'  max ms (CPU time)':44} {w['max_cpu_ms']:14.1f} {50:10d}")
    print(f"{'files parsed and interpreted':44} {p['files']:14d}")
    if parsed:
        print(f"{'  median / max ms':44} {p['median_ms']:7.1f} /{p['max_ms']:6.0f} {1000:10d}")
    print(f"{'time budget ran out':44} {len(summary['budget_ran_out']):14d}")
    r = summary["rss_mb"]
    print(f"{'RSS MB start / end / peak':44} {r['start']:.0f} / {r['end']:.0f} / {r['peak']:.0f}")
    print(f"{'RSS growth MB':44} {r['growth']:14.1f} {RSS_LIMIT_MB:10.0f}")
    print(f"all limits met: {summary['meets_all']}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if summary["meets_all"] else 1


if __name__ == "__main__":
    sys.exit(main())
