"""`chameleonapi cache list|clear`: inspect or empty the customized-model store."""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    parser = subparsers.add_parser("cache", help="list or clear stored customized models")
    parser.add_argument("action", choices=("list", "clear"), help="list entries or remove them all")
    parser.add_argument("--json", action="store_true", help="list as JSON")
    parser.set_defaults(func=run)


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
    print(f"{'key':<24}  {'status':<7}  {'loss':<9}  {'val_incorrect':>13}  {'MB':>5}  name")
    for e in entries:
        rate = e.get("val_incorrect")
        rate_text = f"{rate:.3f}" if isinstance(rate, (int, float)) else "-"
        print(f"{e['key']:<24}  {e['status']:<7}  {str(e.get('loss') or '-'):<9}  {rate_text:>13}  "
              f"{e['bytes'] / 1e6:>5.1f}  {e.get('name') or ''}")
    return 0
