"""First-call work against calls already served: latency of a served call site while another
call site of the same process is analysed and trained for real.

One process, a fresh cache folder, `CHAMELEONAPI_TRAIN=auto` and the `tiny` budget:
  1. a call site with no decision is served (generic model) and timed while idle;
  2. a thread makes the first call of the pet-door app (analysis + training);
  3. meanwhile the served site keeps calling; every call is timed until training ends.
Then `CHAMELEONAPI_TRAIN=background` in a second fresh folder: the first call of the app is
timed against a call of the served site (the analysis and training run in a thread).
Prints a table and writes JSON (`--json PATH`).

    python benchmarks/first_call.py [--json benchmarks/results/first_call.json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from importlib import resources
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("CHAMELEONAPI_THREADS", "1")

SERVED_SITE = '''
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def describe(image_bytes):
    return client.label_detection(image=vision.Image(content=image_bytes)).label_annotations
'''


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fresh_home(root: Path, name: str, warm: Path) -> Path:
    """A cache folder holding only what every install converts once (weights, tiles)."""
    home = root / name
    home.mkdir()
    for part in ("weights", "data"):
        if (warm / part).exists():
            shutil.copytree(warm / part, home / part)
    os.environ["CHAMELEONAPI_HOME"] = str(home)
    return home


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)

    import chameleonapi
    from chameleonapi.data.animal_mnist import load_tiles
    from chameleonapi.model.backbone import imagenet_state_dict
    from chameleonapi.serving.calls import labels_resolver
    from chameleonapi.serving.notices import add_listener

    root = Path(tempfile.mkdtemp(prefix="chameleonapi-first-call-"))
    warm = root / "warm"
    os.environ["CHAMELEONAPI_HOME"] = str(warm)
    imagenet_state_dict()
    load_tiles()
    (root / "served_site.py").write_text(SERVED_SITE)
    examples = resources.files("chameleonapi.examples")
    (root / "pet_door_bench.py").write_text(examples.joinpath("pet_door.py").read_text())
    image = examples.joinpath("images", "chelsea.jpg").read_bytes()
    os.environ["CHAMELEONAPI_BUDGET"] = "tiny"
    os.environ["CHAMELEONAPI_PROGRESS"] = "0"
    chameleonapi.enable(["google"])
    models: list[str] = []
    add_listener(lambda call: models.append(call.model))
    other = load(root / "served_site.py", "served_site")

    def timed() -> float:
        start = time.perf_counter()
        other.describe(image)
        return time.perf_counter() - start

    # ---- auto: training in the same process
    os.environ["CHAMELEONAPI_TRAIN"] = "auto"
    fresh_home(root, "auto", warm)
    timed()
    idle = [timed() for _ in range(20)]
    app = load(root / "pet_door_bench.py", "pet_door_auto")
    done = threading.Event()
    started = time.perf_counter()
    served_by: list[str] = []

    def first_call() -> None:
        app.should_open(image)
        served_by.append(models[-1])
        done.set()

    thread = threading.Thread(target=first_call)
    thread.start()
    busy: list[float] = []
    while not done.is_set():
        busy.append(timed())
    thread.join()
    training_s = time.perf_counter() - started

    # ---- background: the first call answers at once
    os.environ["CHAMELEONAPI_TRAIN"] = "background"
    labels_resolver.reset()
    fresh_home(root, "background", warm)
    timed()
    reference = statistics.median(timed() for _ in range(5))
    app = load(root / "pet_door_bench.py", "pet_door_background")
    start = time.perf_counter()
    app.should_open(image)
    background_first = time.perf_counter() - start
    background_model = models[-1]
    engine = next(e for e in labels_resolver._sites._engines.values() if e.background is not None)
    engine.background.finished.wait(600)
    chameleonapi.disable()
    shutil.rmtree(root, ignore_errors=True)

    results = {
        "idle_p50_ms": statistics.median(idle) * 1e3,
        "idle_p99_ms": percentile(idle, 99) * 1e3,
        "during_training_calls": len(busy),
        "during_training_p50_ms": statistics.median(busy) * 1e3 if busy else None,
        "during_training_p99_ms": percentile(busy, 99) * 1e3 if busy else None,
        "during_training_max_ms": max(busy) * 1e3 if busy else None,
        "p50_ratio": statistics.median(busy) / statistics.median(idle) if busy else None,
        "training_first_call_s": training_s,
        "trained_model": served_by[0] if served_by else None,
        "background_first_call_ms": background_first * 1e3,
        "background_first_call_model": background_model,
        "served_call_p50_ms": reference * 1e3,
        "cpu_count": os.cpu_count(),
        "torch_threads": os.environ.get("CHAMELEONAPI_THREADS"),
    }
    rows = [
        ("served site, idle p50 / p99 (ms)", f"{results['idle_p50_ms']:.0f} / {results['idle_p99_ms']:.0f}"),
        ("served site while another site trains: calls", f"{results['during_training_calls']}"),
        ("  p50 / p99 / max (ms)", " / ".join(
            f"{results[f'during_training_{k}_ms']:.0f}" for k in ("p50", "p99", "max"))),
        ("  p50 ratio vs idle", f"{results['p50_ratio']:.2f}"),
        ("first call that trains (s)", f"{training_s:.1f}  -> {results['trained_model']}"),
        ("background: first call (ms)", f"{results['background_first_call_ms']:.0f}  -> {background_model}"),
        ("background: a served call p50 (ms)", f"{results['served_call_p50_ms']:.0f}"),
    ]
    width = max(len(r[0]) for r in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
