"""`chameleonapi eval APP.py`: incorrect-decision rates of generic / basic / chameleonapi."""

from __future__ import annotations

import argparse
import json
import sys
import time

from chameleonapi import config
from chameleonapi.cli.common import add_settings_flags, configured_data, positive_int, uses_settings
from chameleonapi.cli.table import render_table, short_site

__all__ = ["register", "run"]


def require_path(path: str) -> None:
    """A missing application path is a one-line error that says it does not exist."""
    from pathlib import Path

    if not Path(path).exists():
        raise FileNotFoundError(2, "No such file or directory", path)


@uses_settings("eval")
def run(args: argparse.Namespace) -> int:
    from chameleonapi.errors import require

    require_path(args.app)
    require("torch", "timm", "astroid")
    from chameleonapi.cli.datacheck import check_data
    from chameleonapi.evaluation import MODELS, complete_specs, evaluate_spec

    specs, skipped = complete_specs(args.app)
    for reason in skipped:
        print(f"chameleonapi eval: skipped {reason}", file=sys.stderr)
    if not specs:
        print("chameleonapi eval: no decision with known labels was found", file=sys.stderr)
        return 1
    data, budget = configured_data(), config.budget()
    if data != "builtin" and args.test_data is None:
        print("chameleonapi eval: every photo of --data trains or validates; pass --test-data with photos "
              "of your own keeping to score the models on", file=sys.stderr)
        return 1
    check_data(data, ("train", "val") if data != "builtin" else ("train", "val", "test"), specs)
    progress = config.progress()
    start = time.perf_counter()
    results = []
    for spec in specs:
        if not args.json:
            print(f"decision at {short_site(spec.call)}: {spec.kind} (order {spec.order}), "
                  f"{len(spec.categories)} categories")
        results.append(
            evaluate_spec(spec, data, seeds=args.seeds, budget=budget, progress=progress, test_size=args.test_scenes,
                          test_data=args.test_data if data != "builtin" else None)
        )
    if args.json:
        payload = {
            "app": args.app,
            "data": data,
            "budget": budget,
            "seeds": args.seeds,
            "decisions": [r.to_dict() for r in results],
            "wall_s": time.perf_counter() - start,
        }
        print(json.dumps(payload, indent=1))
        return 0
    rows = [
        [short_site(r.spec.call), r.spec.kind,
         *(f"{r.mean(m):.3f}±{r.spread(m):.3f}" for m in MODELS), r.n_test]
        for r in results
    ]
    print()
    sys.stdout.write(render_table(["decision", "kind", *MODELS, "n_test"], rows, right=range(2, 3 + len(MODELS))))
    print(f"\nincorrect-decision rates on held-out data, mean±sd over {args.seeds} seed(s); "
          f"{time.perf_counter() - start:.0f} s")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="incorrect-decision rates of generic / basic / chameleonapi models for an application",
        description="For each decision in APP, train the generic, basic (BCE on app-relevant data) and "
        "chameleonapi (decision-aware loss) models on the same split and budget, and report their "
        "incorrect-decision rates on held-out images: the built-in test split, or every photo of "
        "--test-data (user data is split train/val about 80/20 by a stable hash of each image's name, "
        "and all of it is used to customize).",
    )
    parser.add_argument("app", help="application file or package directory")
    parser.add_argument("--seeds", type=positive_int, default=1, help="training seeds to average over (default 1)")
    parser.add_argument("--test-scenes", type=positive_int,
                        help="held-out built-in scenes to score (default: the whole test split)")
    parser.add_argument("--test-data", metavar="PATH",
                        help="photos to score the models on, an image folder or CSV kept apart from --data "
                             "(required with photo data)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_settings_flags(parser)
    parser.set_defaults(func=run)
