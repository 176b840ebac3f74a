"""`chameleonapi analyze PATH [--json]`: show the decisions an application makes."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "analyze",
        help="show the decisions an application makes from vision labels",
        description="Statically analyze a Python file or package directory (it is never run) and "
        "print each decision it makes from cloud vision labels.",
    )
    parser.add_argument("path", metavar="PATH", help="a Python file or a package directory")
    parser.add_argument("--json", action="store_true", help="print a JSON list of decisions")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from chameleonapi.analysis import analyze_report
    from chameleonapi.analysis.render import as_json_objects, render_text

    if not Path(args.path).exists():
        print(f"chameleonapi analyze: {args.path}: no such file or directory", file=sys.stderr)
        return 2
    report = analyze_report(Path(args.path))
    for error in report.errors:
        print(f"chameleonapi analyze: {error}", file=sys.stderr)
    if args.json:
        print(json.dumps(as_json_objects(report.specs), indent=2))
    else:
        sys.stdout.write(render_text(report))
    return 1 if report.errors and not report.specs else 0
