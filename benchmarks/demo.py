"""`chameleonapi demo` as a newcomer runs it after the install: how long until the first
result, the first incorrect-decision rate and the end, and how much CPU it took.

Each variant runs `python -m chameleonapi demo` in a subprocess with a fresh cache folder
(nothing converted, trained or cached: a fresh clone after `pip install`) and its output
read line by line as it comes. Variants are this tree with the demo's own budget, this tree
with `--budget default` (the work the demo did before it had its own budget), and with
`--before PATH` the package at PATH (e.g. an older checkout), each for every `--threads`
value (`CHAMELEONAPI_THREADS`: 1, or 0 for torch's own, one per core).

On a shared machine wall time depends on the others' load: `--together` starts all
variants at once so they share the same load (compare their ratios); CPU seconds (user +
system of the demo's process) hardly depend on it, and on an idle machine a one-thread run
takes about its CPU time. Prints a table and writes JSON (`--json PATH`).

    python benchmarks/demo.py [--threads 1,0] [--before PATH] [--together] [--json benchmarks/results/demo.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATE_LINE = re.compile(r"^\s*(generic model|chameleonapi)\s+(\d\.\d+)\s*$")
FIRST_RATE = re.compile(r"generic model\S*[:\s]+(\d\.\d+)\s*$")


def cpu_of(pid: int) -> float | None:
    """CPU seconds (user + system) a running process has used so far (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_demo(name: str, tree: Path, args: list[str], threads: str, root: Path) -> dict:
    """One demo run in a fresh cache folder; times are seconds from the process start."""
    home = Path(tempfile.mkdtemp(prefix=f"{name.replace(' ', '-')}-", dir=root))
    env = {**os.environ, "PYTHONPATH": str(tree), "CHAMELEONAPI_HOME": str(home), "CHAMELEONAPI_THREADS": threads,
           "CHAMELEONAPI_PROGRESS": "0", "HF_HUB_OFFLINE": "1", "NO_GCE_CHECK": "true", "PYTHONUNBUFFERED": "1"}
    env.pop("CHAMELEONAPI_BUDGET", None)
    env.pop("CHAMELEONAPI_DATA", None)
    load_start = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "chameleonapi", "demo", *args], cwd=home, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first_result = first_rate = None
    cpu_at: dict[str, float | None] = {}
    rates: dict[str, float] = {}
    lines = []
    for line in process.stdout:
        now = time.perf_counter() - started
        lines.append(line.rstrip())
        if first_result is None and ".jpg" in line and "ms)" in line:
            first_result, cpu_at["first_result"] = now, cpu_of(process.pid)
        if first_rate is None and FIRST_RATE.search(line):
            first_rate, cpu_at["first_rate"] = now, cpu_of(process.pid)
        match = RATE_LINE.match(line)
        if match:
            rates[match.group(1)] = float(match.group(2))
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    shutil.rmtree(home, ignore_errors=True)
    return {"variant": name, "threads": threads, "args": args, "exit": process.returncode,
            "first_result_s": round(first_result, 1) if first_result is not None else None,
            "first_rate_s": round(first_rate, 1) if first_rate is not None else None,
            "cpu_first_result_s": _rounded(cpu_at.get("first_result")),
            "cpu_first_rate_s": _rounded(cpu_at.get("first_rate")),
            "wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "load_at_start": round(load_start, 1), "load_at_end": round(os.getloadavg()[0], 1),
            "generic": rates.get("generic model"), "chameleonapi": rates.get("chameleonapi"),
            "tail": lines[-6:]}


def _rounded(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1", help="comma-separated CHAMELEONAPI_THREADS values (default 1)")
    parser.add_argument("--before", type=Path, help="an older checkout whose demo runs beside this one")
    parser.add_argument("--no-full", action="store_true", help="skip this tree with --budget default")
    parser.add_argument("--together", action="store_true", help="run every variant at once (same load)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    variants = []
    for threads in args.threads.split(","):
        if args.before is not None:
            variants.append(("before", args.before.resolve(), [], threads))
        variants.append(("demo budget", ROOT, [], threads))
        if not args.no_full:
            variants.append(("full budget", ROOT, ["--budget", "default"], threads))

    root = Path(tempfile.mkdtemp(prefix="chameleonapi-demo-bench-"))
    results: list[dict] = [{} for _ in variants]
    try:
        if args.together:
            workers = [threading.Thread(target=lambda i=i, v=v: results.__setitem__(i, run_demo(*v, root)))
                       for i, v in enumerate(variants)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        else:
            for i, variant in enumerate(variants):
                results[i] = run_demo(*variant, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    reference = {r["threads"]: r for r in results if r["variant"] == ("before" if args.before else "full budget")}
    print("first result / first rate: seconds of wall time (of CPU time) from the start to the first labels "
          "and to the first incorrect-decision rate printed")
    print(f"{'variant':<12} {'threads':>7} {'first result':>14} {'first rate':>14} {'wall':>7} {'cpu':>7} "
          f"{'cpu/ref':>7} {'load':>9} {'generic':>8} {'chameleonapi':>12}")
    for r in results:
        ref = reference.get(r["threads"])
        ratio = f"{r['cpu_s'] / ref['cpu_s']:.2f}" if ref else "-"
        first = f"{r['first_result_s']}s ({r['cpu_first_result_s']}s)"
        rate = f"{r['first_rate_s']}s ({r['cpu_first_rate_s']}s)"
        print(f"{r['variant']:<12} {r['threads']:>7} {first:>14} {rate:>14} "
              f"{r['wall_s']:>6}s {r['cpu_s']:>6}s {ratio:>7} {r['load_at_start']:>4}-{r['load_at_end']:<4} "
              f"{r['generic']!s:>8} {r['chameleonapi']!s:>12}")
    if args.json:
        args.json.write_text(json.dumps({"cores": os.cpu_count(), "together": args.together, "runs": results},
                                        indent=1) + "\n")
    return 0 if all(r["exit"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
