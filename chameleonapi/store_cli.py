"""`chameleonapi cache list|clear`: inspect or empty the customized-model store."""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    parser = subparsers.add_parser("cache", help="list or clear stored customized models")
    parser.add_argument("action", choices=("list", "clear"), help="list entries or remove them all")
    parser.add_argument("--json", action="store_true", help="list as JSON")
    parser.set_defaults(func=run)


def _rate(value) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "-"


def run(args: argparse.Namespace) -> int:
    from chameleonapi import store

    if args.action == "clear":
        removed = store.clear()
        print(f"removed {removed} model(s) from {store.models_dir()}")
        return 0
    entries = store.list_entries()
    if getattr(args, "json", False):
        print(json.dumps(entries, indent=1))
        return 0
    if not entries:
        print(f"no models in {store.models_dir()}")
        return 0
    print(f"{'key':<24}  {'status':<7}  {'loss':<9}  {'val_incorrect':>13}  {'generic':>7}  {'served':<10}  "
          f"{'MB':>5}  name / data")
    for e in entries:
        print(f"{e['key']:<24}  {e['status']:<7}  {str(e.get('loss') or '-'):<9}  {_rate(e.get('val_incorrect')):>13}  "
              f"{_rate(e.get('generic_val_incorrect')):>7}  {str(e.get('served') or '-'):<10}  "
              f"{e['bytes'] / 1e6:>5.1f}  {e.get('name') or ''}  {e.get('data') or ''}")
    return 0
