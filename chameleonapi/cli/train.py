"""`chameleonapi train APP.py`: customize models for an application ahead of time.

With `--store URL` the models are published to a shared store the serving fleet reads; with
`--ray [ADDRESS]` the photo features (the part that grows with the data) are a Ray job and the
heads are trained here."""

from __future__ import annotations

import argparse
import json
import sys
import time

from chameleonapi import config
from chameleonapi.cli.common import add_settings_flags, configured_data, uses_settings
from chameleonapi.cli.table import short_site

__all__ = ["register", "run", "summary"]


def summary(spec, model, seconds: float) -> dict:
    """What one customization produced, for people (`--json` prints it as is)."""
    card = model.card or {}
    metrics = card.get("metrics") or {}
    return {
        "call": str(spec.call) if spec.call else None,
        "kind": spec.kind,
        "order": spec.order,
        "categories": [c.name for c in spec.categories],
        "model": model.name,
        "labels": len(model.labels),
        "val_incorrect": metrics.get("val_incorrect"),
        "train_examples": metrics.get("train_examples"),
        "val_examples": metrics.get("val_examples"),
        "training_s": metrics.get("seconds"),
        "ready_s": round(seconds, 2),
    }


def mapping_lines(spec, data: str) -> list[str]:
    """How each photo label name is read for this decision (the mapping training uses)."""
    if data == "builtin":
        return []
    from chameleonapi.data import load_dataset
    from chameleonapi.training.names import overrides_for
    from chameleonapi.training.pipeline import DATA_SEED, prepare_data

    datasets = [load_dataset(data, split, seed=DATA_SEED) for split in ("train", "val")]
    mapping = prepare_data(spec, datasets, overrides_for(data)).mapping()
    return ["  photo labels (labels.json beside the data or --map NAME=LABEL change them):"] + [
        f"    {name}: {how}" for name, how in mapping.items()]


def _print(row: dict) -> None:
    rate = row["val_incorrect"]
    print(f"  model {row['model']} ready in {row['ready_s']:.1f} s ({row['labels']} labels)")
    if rate is not None:
        print(f"  validation: incorrect-decision rate {rate:.3f} on {row['val_examples']} held-out images "
              f"(trained on {row['train_examples']} images in {row['training_s']} s)")


@uses_settings("train", ("data", "budget", "label_map", "device", "cache", "store", "ray"))
def run(args: argparse.Namespace) -> int:
    from chameleonapi.analysis import analyze_report
    from chameleonapi.cli.datacheck import check_data
    from chameleonapi.cli.eval import require_path
    from chameleonapi.errors import require

    require_path(args.app)
    require("torch", "timm", "astroid")
    from chameleonapi.training import customize

    report = analyze_report(args.app)
    if report.errors and not report.specs:
        for error in report.errors:
            print(f"chameleonapi train: {error}", file=sys.stderr)
        return 1
    complete = [s for s in report.specs if not s.partial and s.all_labels]
    for spec in report.specs:
        if spec not in complete:
            print(f"skipping the decision at {spec.call}: {'; '.join(spec.reasons) or 'labels unresolved'}",
                  file=sys.stderr)
    if not complete:
        print("chameleonapi train: no decision with known labels was found", file=sys.stderr)
        return 1
    data, budget = configured_data(), config.budget()
    check_data(data, ("train", "val"), complete)
    rows = []
    for spec in complete:
        if not args.json:
            print(f"decision at {short_site(spec.call)}: {spec.kind} (order {spec.order}), "
                  f"categories {', '.join(c.name for c in spec.categories)}")
            for line in mapping_lines(spec, data):
                print(line)
        start = time.perf_counter()
        model = customize(spec, data=data, progress=config.progress(), seed=args.seed, budget=budget)
        row = summary(spec, model, time.perf_counter() - start)
        rows.append(row)
        if not args.json:
            _print(row)
    if args.json:
        print(json.dumps({"app": args.app, "data": data, "budget": budget, "decisions": rows}, indent=1))
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="customize models for an application ahead of time",
        description="Analyse APP and train (or load from the cache) a model customized to each decision found.",
    )
    parser.add_argument("app", help="application file or package directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--map", "--label-map", dest="label_map", action="append", metavar="NAME=LABEL",
                        help="read the photos labeled NAME as the application's LABEL (NAME= : none of its labels); "
                             "repeatable; wins over labels.json beside the data (default: CHAMELEONAPI_LABEL_MAP)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                        help="compute photo features as a Ray job: on a local Ray instance, or on the cluster at "
                             "ADDRESS (default: CHAMELEONAPI_RAY, else in this process)")
    parser.add_argument("--store", metavar="URL",
                        help="shared model store the models and features are published to, e.g. s3://bucket/prefix "
                             "(default: CHAMELEONAPI_STORE, else the local cache only)")
    add_settings_flags(parser)
    parser.set_defaults(func=run)
