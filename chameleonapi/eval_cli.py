"""`chameleonapi eval APP.py`: incorrect-decision rates of generic / basic / chameleonapi."""

from __future__ import annotations

import argparse
import json
import sys
import time


def run(args: argparse.Namespace) -> int:
    from chameleonapi.evaluation import MODELS, complete_specs, evaluate_spec
    from chameleonapi.train_cli import data_or_none

    data = data_or_none(args.data, "eval")
    if data is None:
        return 2
    specs, skipped = complete_specs(args.app)
    for reason in skipped:
        print(f"chameleonapi eval: skipped {reason}", file=sys.stderr)
    if not specs:
        print("chameleonapi eval: no decision with known labels was found", file=sys.stderr)
        return 1
    start = time.perf_counter()
    results = []
    for spec in specs:
        if not args.json:
            print(f"decision at {spec.call}: {spec.kind} (order {spec.order}), {len(spec.categories)} categories")
        results.append(
            evaluate_spec(
                spec,
                data,
                seeds=args.seeds,
                budget=args.budget,
                progress=not args.no_progress and not args.json,
                test_size=args.test_scenes,
            )
        )
    if args.json:
        payload = {
            "app": args.app,
            "data": data,
            "seeds": args.seeds,
            "decisions": [r.to_dict() for r in results],
            "wall_s": time.perf_counter() - start,
        }
        print(json.dumps(payload, indent=1))
        return 0
    print()
    print(f"{'decision':<40} {'kind':<13} " + " ".join(f"{m:>14}" for m in MODELS) + f" {'n_test':>7}")
    for r in results:
        where = str(r.spec.call)[-40:]
        cells = " ".join(f"{r.mean(m):>8.3f}±{r.spread(m):.3f}" for m in MODELS)
        print(f"{where:<40} {r.spec.kind:<13} {cells} {r.n_test:>7}")
    print(f"\nincorrect-decision rates on held-out data, mean±sd over {args.seeds} seed(s); {time.perf_counter() - start:.0f} s")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="incorrect-decision rates of generic / basic / chameleonapi models for an application",
        description="For each decision in APP, train the generic, basic (BCE on app-relevant data) and "
        "chameleonapi (decision-aware loss) models on the same split and budget, and report their "
        "incorrect-decision rates on held-out images.",
    )
    parser.add_argument("app", help="application file or package directory")
    parser.add_argument("--data", default=None,
                        help="an image folder (<folder>/<label>/*.jpg) or CSV of labeled photos, or builtin "
                        "(the built-in silhouettes); default: CHAMELEONAPI_DATA")
    parser.add_argument("--seeds", type=int, default=1, help="training seeds to average over (default 1)")
    parser.add_argument("--budget", default="default", help="training budget preset (default)")
    parser.add_argument("--test-scenes", type=int, help="held-out scenes or photos to score (default: the whole test split)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)
