"""One `label_detection` call, idle and beside a CPU-bound process, per thread setting.

Each setting runs in its own process (torch's thread pool is per process): the default
(`CHAMELEONAPI_THREADS` unset: one intra-op thread) and torch's own default (one thread
per core, `CHAMELEONAPI_THREADS=0`). Calls alternate between idle and loaded (`--load`
busy processes spinning), so both halves see the same background; the table reports the
median of each and loaded / idle. Prints a table and writes JSON.

    python benchmarks/threads.py [--calls 15] [--load 1] [--json benchmarks/results/threads.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

SETTINGS = {"chameleonapi default (1 thread)": None, "torch default (0: one per core)": "0"}

CHILD = r"""
import io, json, multiprocessing, statistics, sys, time
import torch
from importlib import resources
from google.cloud import vision
import chameleonapi

def spin(busy):
    while True:
        busy.wait()  # idle until asked to load the machine
        x = 0
        for _ in range(200_000):
            x += 1

def timed(call):
    start = time.perf_counter(); call(); return (time.perf_counter() - start) * 1000

if __name__ == "__main__":
    calls, load = int(sys.argv[1]), int(sys.argv[2])
    chameleonapi.enable(["google"])
    photo = resources.files("chameleonapi.examples").joinpath("images/chelsea.jpg").read_bytes()
    client = vision.ImageAnnotatorClient()
    call = lambda: client.label_detection(image=vision.Image(content=photo))
    for _ in range(3):
        call()  # warm-up: model load, first allocations
    busy = multiprocessing.Event()
    spinners = [multiprocessing.Process(target=spin, args=(busy,), daemon=True) for _ in range(load)]
    for p in spinners:
        p.start()
    idle_times, loaded_times = [], []
    try:
        for _ in range(calls):  # interleaved, so both see the same background load
            busy.clear(); time.sleep(0.1)
            idle_times.append(timed(call))
            busy.set(); time.sleep(0.1)
            loaded_times.append(timed(call))
    finally:
        for p in spinners:
            p.terminate()
    idle, loaded = statistics.median(idle_times), statistics.median(loaded_times)
    print(json.dumps({"threads": torch.get_num_threads(), "idle_ms": idle, "loaded_ms": loaded}))
"""


def run_setting(threads: str | None, calls: int, load: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "CHAMELEONAPI_THREADS"}
    env.update(HF_HUB_OFFLINE="1", NO_GCE_CHECK="true", CHAMELEONAPI_TRAIN="never")
    if threads is not None:
        env["CHAMELEONAPI_THREADS"] = threads
    result = subprocess.run([sys.executable, "-c", CHILD, str(calls), str(load)], env=env,
                            capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    row = json.loads(result.stdout.strip().splitlines()[-1])
    row["ratio"] = row["loaded_ms"] / row["idle_ms"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=15, help="calls per measurement (median)")
    parser.add_argument("--load", type=int, default=1, help="busy processes beside the server")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    started = time.perf_counter()
    background = os.getloadavg()[0]
    rows = {name: run_setting(threads, args.calls, args.load) for name, threads in SETTINGS.items()}
    print(f"one label_detection call, median of {args.calls}; {args.load} busy process(es); "
          f"{multiprocessing.cpu_count()} core(s); load average {background:.1f} before the run")
    print(f"{'setting':<34} {'threads':>7} {'idle ms':>9} {'loaded ms':>10} {'loaded/idle':>12}")
    for name, row in rows.items():
        print(f"{name:<34} {row['threads']:>7} {row['idle_ms']:>9.1f} {row['loaded_ms']:>10.1f} {row['ratio']:>12.2f}")
    if args.json:
        payload = {"benchmark": "threads", "calls": args.calls, "load_processes": args.load,
                   "cores": multiprocessing.cpu_count(), "load_average_before": round(background, 2),
                   "settings": rows,
                   "default_ratio": rows["chameleonapi default (1 thread)"]["ratio"],
                   "wall_s": round(time.perf_counter() - started, 1)}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=1) + "\n")


if __name__ == "__main__":
    main()
