"""`chameleonapi train APP.py`: customize models for an application ahead of time."""

from __future__ import annotations

import argparse
import sys
import time


def run(args: argparse.Namespace) -> int:
    from chameleonapi.analysis import analyze_report
    from chameleonapi.training import customize

    data = data_or_none(args.data, "train")
    if data is None:
        return 2
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
        model = customize(spec, data=data, progress=not args.no_progress, seed=args.seed, budget=args.budget)
        card = model.card
        metrics = {k: v for k, v in (card.get("metrics") or {}).items() if not isinstance(v, (list, dict))}
        print(f"  ready in {time.perf_counter() - start:.1f} s; {len(model.labels)} labels")
        if metrics:
            shown = ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items())
            print(f"  validation: {shown}")
        verdict = card.get("validation") or {}
        if verdict:
            print(f"  serving: {verdict.get('served')} ({verdict.get('reason')})")
        for label in card.get("uncovered") or []:
            print(f"  no training photo shows {label!r}")
    return 0


def data_or_none(data: str | None, command: str) -> str | None:
    """`--data`, else CHAMELEONAPI_DATA; None (after saying what to pass) when neither is set."""
    from chameleonapi import config

    data = data or config.data_setting()
    if data is None:
        print(f"chameleonapi {command}: no data to customize with: pass --data <image folder or CSV of labeled "
              "photos> (or --data builtin for the built-in silhouettes), or set CHAMELEONAPI_DATA", file=sys.stderr)
    return data


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="customize models for an application ahead of time",
        description="Analyse APP and train (or load from the cache) a model customized to each decision found.",
    )
    parser.add_argument("app", help="application file or package directory")
    parser.add_argument("--data", default=None,
                        help="an image folder (<folder>/<label>/*.jpg) or CSV of labeled photos, or builtin "
                        "(the built-in silhouettes); default: CHAMELEONAPI_DATA")
    parser.add_argument("--budget", default="default", help="training budget preset (default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)
