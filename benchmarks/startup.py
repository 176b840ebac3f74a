"""Interpreter start-up with `CHAMELEONAPI=1` exported: what chameleonapi adds to `python -c pass`.

Runs `python -X importtime -c pass` with and without the variable, several times each,
interleaved, and sums the cumulative import time of chameleonapi's own top-level imports
(the bootstrap hook) from the importtime report; also the wall time of each start. A
program that imports no vision SDK must pay for the hook only. Prints a table, writes JSON.

    python benchmarks/startup.py [--runs 15] [--json benchmarks/results/startup.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def chameleonapi_import_us(stderr: str) -> int:
    """Microseconds spent importing chameleonapi modules (top level of each import tree)."""
    total = 0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        indent = len(line.split("|")[2]) - len(line.split("|")[2].lstrip())
        if name.startswith("chameleonapi") and indent <= 3 and cumulative.isdigit():
            total += int(cumulative)
    return total


def start(enabled: bool, extra: list[str]) -> tuple[float, int, list[str]]:
    env = {k: v for k, v in os.environ.items() if k != "CHAMELEONAPI"}
    if enabled:
        env["CHAMELEONAPI"] = "1"
    code = "import sys; print(','.join(m for m in sys.modules if m.startswith('chameleonapi')))"
    begin = time.perf_counter()
    result = subprocess.run([sys.executable, "-X", "importtime", *extra, "-c", code], env=env,
                            capture_output=True, text=True, timeout=120)
    wall = time.perf_counter() - begin
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return wall, chameleonapi_import_us(result.stderr), [m for m in result.stdout.strip().split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    walls: dict[str, list[float]] = {"off": [], "on": []}
    ours: list[int] = []
    modules: list[str] = []
    for _ in range(args.runs):
        wall, _, _ = start(False, [])
        walls["off"].append(wall)
        wall, spent, modules = start(True, [])
        walls["on"].append(wall)
        ours.append(spent)
    med = {k: statistics.median(v) * 1000 for k, v in walls.items()}
    ms = statistics.median(ours) / 1000
    print(f"python -c (print modules), median of {args.runs}, interleaved")
    print(f"{'CHAMELEONAPI':<14} {'wall ms':>9} {'in chameleonapi ms':>19}")
    print(f"{'unset':<14} {med['off']:>9.1f} {0:>19.1f}")
    print(f"{'1':<14} {med['on']:>9.1f} {ms:>19.1f}")
    print(f"modules loaded with CHAMELEONAPI=1: {', '.join(modules)}")
    if args.json:
        payload = {"benchmark": "startup", "runs": args.runs, "wall_ms_unset": med["off"], "wall_ms_set": med["on"],
                   "chameleonapi_import_ms_median": ms, "chameleonapi_import_ms_max": max(ours) / 1000,
                   "modules_loaded": modules, "python": sys.version.split()[0]}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=1) + "\n")


if __name__ == "__main__":
    main()
