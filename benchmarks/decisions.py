"""Decision quality in the shape of the paper's Table 3, over benchmarks/apps/.

For every application (unchanged Google / Azure SDK code) the analysis extracts its
decision; the generic labeler, and basic and chameleonapi models customized on the same
built-in split with the same budget (per seed), are scored on the same held-out scenes. Thresholds and early
stopping use the validation split only.

Prints the Table 3 layout (pooled over apps per decision type), a per-app table, and writes
JSON plus a bar chart PNG.

    python benchmarks/decisions.py [--seeds 3] [--budget default] \
        [--json benchmarks/results/decisions.json] [--png benchmarks/results/decisions.png]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
KINDS = ("true_false", "multi_choice", "multi_select")
MODELS = ("generic", "basic", "chameleonapi")
PAPER = {
    "generic": {"true_false": 0.29, "multi_choice": 0.30, "multi_select": 0.34},
    "basic": {"true_false": 0.19, "multi_choice": 0.22, "multi_select": 0.27},
    "chameleonapi": {"true_false": 0.13, "multi_choice": 0.16, "multi_select": 0.21},
}


def pooled(results: list[dict], seeds: int) -> dict:
    """Per kind and model: mean over apps per seed, then mean and sd over seeds."""
    table: dict = {}
    for kind in KINDS:
        rows = [r for r in results if r["kind"] == kind]
        if not rows:
            continue
        table[kind] = {}
        for model in MODELS:
            per_seed = [statistics.fmean(r["per_seed"][model][s] for r in rows) for s in range(seeds)]
            table[kind][model] = {
                "mean": statistics.fmean(per_seed),
                "sd": statistics.stdev(per_seed) if len(per_seed) > 1 else 0.0,
                "per_seed": per_seed,
                "apps": len(rows),
            }
        basic, ours, generic = (table[kind][m]["mean"] for m in ("basic", "chameleonapi", "generic"))
        table[kind]["reduction_vs_basic"] = (ours - basic) / basic if basic else None
        table[kind]["reduction_vs_generic"] = (ours - generic) / generic if generic else None
    return table


def chart(table: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = [k for k in KINDS if k in table]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    width = 0.26
    colors = {"generic": "#9e9e9e", "basic": "#64b5f6", "chameleonapi": "#2e7d32"}
    for i, model in enumerate(MODELS):
        xs = [k + (i - 1) * width for k in range(len(kinds))]
        means = [table[k][model]["mean"] for k in kinds]
        sds = [table[k][model]["sd"] for k in kinds]
        ax.bar(xs, means, width, yerr=sds, capsize=3, label=model, color=colors[model])
    ax.set_xticks(range(len(kinds)))
    ax.set_xticklabels([k.replace("_", "-") for k in kinds])
    ax.set_ylabel("incorrect-decision rate")
    ax.set_title("Incorrect decisions on held-out built-in scenes (lower is better)")
    ax.legend(frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=Path, default=HERE / "apps")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", default="small", help="training budget preset for every model (default small)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=HERE / "results" / "decisions.json")
    parser.add_argument("--png", type=Path, default=HERE / "results" / "decisions.png")
    parser.add_argument("--progress", action="store_true", help="show training progress bars")
    args = parser.parse_args(argv)
    os.environ.setdefault("CHAMELEONAPI_THREADS", str(args.threads))

    from chameleonapi.evaluation import complete_specs, evaluate_spec

    start = time.perf_counter()
    results = []
    for app in sorted(args.apps.glob("*.py")):
        specs, skipped = complete_specs(str(app))
        for reason in skipped:
            print(f"{app.name}: skipped {reason}", file=sys.stderr)
        for spec in specs:
            t0 = time.perf_counter()
            r = evaluate_spec(spec, "builtin", seeds=args.seeds, budget=args.budget, progress=args.progress)
            row = {"app": app.stem, **r.to_dict(), "wall_s": time.perf_counter() - t0}
            results.append(row)
            rates = "  ".join(f"{m} {row['rates'][m]:.3f}" for m in MODELS)
            print(f"[{time.perf_counter() - start:6.0f}s] {app.stem:<18} {spec.kind:<13} {rates}", file=sys.stderr)

    table = pooled(results, args.seeds)
    wall = time.perf_counter() - start
    print("\nTable 3 layout: incorrect-decision rate, mean ± sd over seeds (apps pooled per decision type)")
    header = f"{'model':<14}" + "".join(f"{k.replace('_', '-'):>20}" for k in KINDS if k in table)
    print(header)
    print("-" * len(header))
    for model in MODELS:
        cells = "".join(f"{table[k][model]['mean']:>13.3f} ± {table[k][model]['sd']:.3f}" for k in KINDS if k in table)
        print(f"{model:<14}{cells}")
    print(f"{'vs basic':<14}" + "".join(f"{100 * table[k]['reduction_vs_basic']:>19.0f}%" for k in KINDS if k in table))
    print(f"{'vs generic':<14}" + "".join(f"{100 * table[k]['reduction_vs_generic']:>19.0f}%" for k in KINDS if k in table))
    print("paper (vs basic): true-false -32%, multi-choice -27%, multi-select -22%")

    print("\nPer application (mean over seeds)")
    print(f"{'app':<18} {'kind':<13} {'order':<9}" + "".join(f"{m:>14}" for m in MODELS) + f"{'change':>9}")
    for row in results:
        basic, ours = row["rates"]["basic"], row["rates"]["chameleonapi"]
        change = f"{100 * (ours - basic) / basic:+.0f}%" if basic else "n/a"
        cells = "".join(f"{row['rates'][m]:>8.3f}±{row['spread'][m]:.3f}" for m in MODELS)
        print(f"{row['app']:<18} {row['kind']:<13} {row['order']:<9}{cells}{change:>9}")
    print(f"\nwall time: {wall:.0f} s ({wall / 60:.1f} min) for {len(results)} decisions x {args.seeds} seeds")

    payload = {"table": table, "apps": results, "seeds": args.seeds, "budget": args.budget, "wall_s": wall, "paper": PAPER}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, indent=1) + "\n")
    chart(table, args.png)
    print(f"wrote {args.json} and {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
