"""Hostile application source, measured: the first call's time and memory when the calling
module is huge, with the analysis' size cap (`CHAMELEONAPI_ANALYSIS_MAX_KB`, default 512) and
without it (the cap raised to 64 MB: what every first call paid before the cap).

Each case runs in a fresh process (`CHAMELEONAPI_TRAIN=auto`, no photos: the analysis runs,
nothing trains), the generic model loaded by a warm-up call from another module first; then
the pet-door app, with the payload appended, makes its first call. Reported: the first
call's seconds and the process's peak RSS above its RSS just before the call (the kernel's
peak is reset through /proc/self/clear_refs), and what the log said about the module.

    python benchmarks/hostile_apps.py [--json benchmarks/results/hostile_apps.json] [--skip-uncapped]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAYLOADS = {
    "none": "",
    "literal_10mb": '\nBLOB = "' + "x" * (10 * 1024 * 1024) + '"\n',
    "labels_1m": "\nLABELS = [" + ", ".join(f'"label{i}"' for i in range(1_000_000)) + "]\n",
    "labels_30k (under the cap)": "\nLABELS = [" + ", ".join(f'"label{i}"' for i in range(30_000)) + "]\n",
}
CHILD = r'''
import importlib.util, io, json, logging, sys, time
from pathlib import Path
import chameleonapi
from google.cloud import vision
from PIL import Image

chameleonapi.enable(["google"])
said = []
class Keep(logging.Handler):
    def emit(self, record):
        said.append(record.getMessage())
logging.getLogger("chameleonapi").addHandler(Keep())
logging.getLogger("chameleonapi").setLevel(logging.INFO)
buffer = io.BytesIO()
Image.new("RGB", (96, 64), (120, 80, 40)).save(buffer, "JPEG")
image = buffer.getvalue()
vision.ImageAnnotatorClient().label_detection(image=vision.Image(content=image))  # warm: the generic model

def vm(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024

spec = importlib.util.spec_from_file_location("app_under_test", sys.argv[1])
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
before = vm("VmRSS")
started = time.perf_counter()
answer = app.should_open(image)
seconds = time.perf_counter() - started
peak = vm("VmHWM") - before
name = Path(sys.argv[1]).name
print(json.dumps({"seconds": seconds, "peak_mb": peak, "answer": answer,
                  "said": [m for m in said if name in m][:2]}))
'''


def run_case(app: Path, max_kb: int | None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "NO_GCE_CHECK": "true",
           "CHAMELEONAPI_THREADS": "1", "OMP_NUM_THREADS": "1", "CHAMELEONAPI_TRAIN": "auto"}
    env.pop("CHAMELEONAPI_DATA", None)
    if max_kb is not None:
        env["CHAMELEONAPI_ANALYSIS_MAX_KB"] = str(max_kb)
    out = subprocess.run([sys.executable, "-c", CHILD, str(app)], capture_output=True, text=True, env=env,
                         timeout=600)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-uncapped", action="store_true", help="only the capped runs (fast)")
    args = parser.parse_args()
    pet_door = resources.files("chameleonapi.examples").joinpath("pet_door.py").read_text()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, payload in PAYLOADS.items():
            app = Path(tmp) / f"pet_door_{name.split()[0]}.py"
            app.write_text(pet_door + payload)
            size_kb = app.stat().st_size / 1024
            capped = run_case(app, None)
            uncapped = None
            if not args.skip_uncapped and name != "none":
                uncapped = run_case(app, 65536)
            rows.append({"payload": name, "module_kb": round(size_kb), "capped": capped, "uncapped": uncapped})
            print(f"{name}: done", file=sys.stderr)
    header = f"{'payload':28} {'module KB':>10} {'capped s':>9} {'capped MB':>10} {'uncapped s':>11} {'uncapped MB':>12}"
    print(header)
    print("-" * len(header))
    for row in rows:
        c, u = row["capped"], row["uncapped"]
        print(f"{row['payload']:28} {row['module_kb']:>10,} {c['seconds']:>9.3f} {c['peak_mb']:>10.1f} "
              f"{(u['seconds'] if u else float('nan')):>11.3f} {(u['peak_mb'] if u else float('nan')):>12.1f}")
    for row in rows:
        for message in row["capped"]["said"]:
            print(f"  log ({row['payload']}): {message[:160]}")
    if args.json:
        args.json.write_text(json.dumps({"benchmark": "hostile_apps", "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
