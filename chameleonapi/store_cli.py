"""`chameleonapi cache list|clear`: inspect or empty the customized-model store.

Damaged entries and moved-aside copies are listed with their status and reason, never a
traceback.
"""

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
    print(f"{'key':<24}  {'status':<11}  {'loss':<9}  {'val_incorrect':>13}  {'MB':>5}  name")
    for e in entries:
        rate = e.get("val_incorrect")
        rate_text = f"{rate:.3f}" if isinstance(rate, (int, float)) else "-"
        detail = e.get("name") or (f"({e['reason']})" if e.get("reason") else "")
        print(f"{e['key']:<24}  {e['status']:<11}  {str(e.get('loss') or '-'):<9}  {rate_text:>13}  "
              f"{e['bytes'] / 1e6:>5.1f}  {detail}")
    return 0
