"""Cost of customizing one application on built-in data, and what it buys.

The built-in scenes go through the same pipeline as photos (pooled features, class head,
gate). Measures, in a fresh cache folder (so the ImageNet weights conversion, the scene
features and the training all run from cold):
  - wall time of `customize(spec)` end to end (features + training + store write),
  - wall time of the same call again (a store hit: key, load, checksum),
  - peak resident memory (getrusage maxrss of this process and its children).
Targets on a 2-core machine: customization <= 180 s, store hit <= 1 s, peak <= 4 GB.

With `--compare` it also trains the `basic` model (the class head's cross-entropy fit alone)
and reports, beside the generic labeler, incorrect-decision rates on held-out test scenes for a true-false, a multi-choice
and a multi-select application (Google-style top-10 over the API-like vocabulary).

    python benchmarks/customize.py [--compare] [--json benchmarks/results/customize.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CHAMELEONAPI_THREADS", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGETS = {"customize_s": 180.0, "cache_hit_s": 1.0, "peak_rss_mb": 4096.0}


def specs():
    from chameleonapi.spec import Category, DecisionSpec

    return {
        "true_false/pets": DecisionSpec(
            "true_false", "label", [Category("pets", ("Cat", "Dog"))], top_k=10, provider="google"),
        "multi_choice/farm": DecisionSpec(
            "multi_choice", "category",
            [Category("pasture", ("Cattle", "Sheep")), Category("stable", ("Horse",)),
             Category("house", ("Dog", "Cat"))],
            top_k=10, provider="google"),
        "multi_select/safari": DecisionSpec(
            "multi_select", "label",
            [Category(name, (name,)) for name in ("Elephant", "Giraffe", "Zebra", "Bear")],
            top_k=10, provider="google"),
    }


def peak_rss_mb() -> float:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (self_kb + child_kb) / 1024.0


def measure_cost(budget: str, progress: bool) -> dict:
    from chameleonapi.training import customize

    spec = specs()["true_false/pets"]
    started = time.perf_counter()
    model = customize(spec, progress=progress, budget=budget)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    again = customize(spec, progress=False, budget=budget)
    hit = time.perf_counter() - started
    assert again.labels == model.labels
    return {
        "spec": "true_false/pets",
        "budget": budget,
        "customize_s": round(cold, 2),
        "train_s": model.card.get("metrics", {}).get("seconds"),
        "cache_hit_s": round(hit, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "val_incorrect": model.card.get("metrics", {}).get("val_incorrect"),
    }


def compare(budget: str, test_size: int, progress: bool) -> dict:
    from chameleonapi.training import customize, train_generic
    from chameleonapi.training.pipeline import evaluate

    rows = {}
    for name, spec in specs().items():
        row = {"generic": evaluate(train_generic(spec.provider), spec, "builtin", split="test", size=test_size)}
        for loss in ("basic", "chameleon"):
            model = customize(spec, progress=progress, budget=budget, loss=loss)
            row[loss] = evaluate(model, spec, "builtin", split="test", size=test_size)
        row["vs_basic"] = (row["chameleon"] - row["basic"]) / row["basic"] if row["basic"] else 0.0
        row["vs_generic"] = (row["chameleon"] - row["generic"]) / row["generic"] if row["generic"] else 0.0
        rows[name] = {k: round(v, 4) for k, v in row.items()}
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", default="default", help="training budget preset (default, small, tiny)")
    parser.add_argument("--home", help="cache folder (default: a fresh temporary one, i.e. cold)")
    parser.add_argument("--compare", action="store_true", help="also measure generic / basic / chameleonapi rates")
    parser.add_argument("--test-size", type=int, default=2000, help="held-out scenes for --compare")
    parser.add_argument("--no-cost", action="store_true", help="skip the cost measurement (with --compare)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--json", help="write the results as JSON to this path")
    args = parser.parse_args(argv)
    os.environ["CHAMELEONAPI_HOME"] = args.home or tempfile.mkdtemp(prefix="chameleonapi-bench-")

    result = {"threads": os.environ.get("CHAMELEONAPI_THREADS"), "cpus": os.cpu_count(),
              "home": os.environ["CHAMELEONAPI_HOME"], "targets": TARGETS}
    if not args.no_cost:
        result["cost"] = measure_cost(args.budget, not args.no_progress)
        cost = result["cost"]
        print(f"{'measure':<18} {'value':>10} {'target':>10}  ok", flush=True)
        for key, unit in (("customize_s", "s"), ("cache_hit_s", "s"), ("peak_rss_mb", "MB")):
            ok = cost[key] <= TARGETS[key]
            print(f"{key:<18} {cost[key]:>9}{unit:<1} {TARGETS[key]:>9}{unit:<1}  {'yes' if ok else 'NO'}", flush=True)
    if args.compare:
        result["incorrect_decisions"] = compare(args.budget, args.test_size, not args.no_progress)
        print(f"\n{'application':<22} {'generic':>8} {'basic':>8} {'chameleon':>10} {'vs basic':>9} {'vs generic':>11}")
        for name, row in result["incorrect_decisions"].items():
            print(f"{name:<22} {row['generic']:>8.3f} {row['basic']:>8.3f} {row['chameleon']:>10.3f} "
                  f"{row['vs_basic']:>+9.0%} {row['vs_generic']:>+11.0%}")
    result["peak_rss_mb_total"] = round(peak_rss_mb(), 1)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
