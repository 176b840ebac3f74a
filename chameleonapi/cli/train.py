"""`chameleonapi train APP.py`: customize models for an application ahead of time."""

from __future__ import annotations

import argparse
import sys
import time


def run(args: argparse.Namespace) -> int:
    from chameleonapi.analysis import analyze_report
    from chameleonapi.training import customize

    report = analyze_report(args.app)
    if report.errors and not report.specs:
        for error in report.errors:
            print(f"chameleonapi train: {error}", file=sys.stderr)
        return 1
    complete = [s for s in report.specs if not s.partial and s.all_labels]
    for spec in report.specs:
        if spec not in complete:
            print(f"skipping the decision at {spec.call}: {'; '.join(spec.reasons) or 'labels unresolved'}")
    if not complete:
        print("chameleonapi train: no decision with known labels was found", file=sys.stderr)
        return 1
    for spec in complete:
        print(f"decision at {spec.call}: {spec.kind}, order={spec.order}, {len(spec.categories)} categories")
        start = time.perf_counter()
        model = customize(spec, data=args.data, progress=not args.no_progress, seed=args.seed, budget=args.budget)
        card = model.card
        metrics = card.get("metrics") or card.get("validation") or {}
        print(f"  ready in {time.perf_counter() - start:.1f} s; {len(model.labels)} labels")
        if metrics:
            shown = ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items())
            print(f"  validation: {shown}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="customize models for an application ahead of time",
        description="Analyse APP and train (or load from the cache) a model customized to each decision found.",
    )
    parser.add_argument("app", help="application file or package directory")
    parser.add_argument("--data", default="builtin", help="builtin (default), an image folder, or a CSV file")
    parser.add_argument("--budget", default="default", help="training budget preset (default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)
