"""`chameleonapi cache list|clear`: inspect or empty the cache (models and computed features)."""

from __future__ import annotations

import argparse
import json
import sys

from chameleonapi import config
from chameleonapi.cli.common import uses_settings
from chameleonapi.cli.table import render_table, short_path

__all__ = ["clear_features", "register", "run"]


def register(subparsers) -> None:
    parser = subparsers.add_parser("cache", help="list or clear stored customized models and features")
    parser.add_argument("action", choices=("list", "clear"), help="list models, or remove models and features")
    parser.add_argument("--json", action="store_true", help="list as JSON")
    parser.set_defaults(func=run)


def clear_features() -> int:
    """Remove the cached features (only the files the cache wrote); returns how many."""
    from chameleonapi import tensorfiles

    return tensorfiles.clear()


def _serves(entry: dict) -> str:
    """The application call site a model was customized for (or what else it is)."""
    call = entry.get("call")
    if isinstance(call, dict) and call.get("file"):
        return f"{short_path(call['file'])}:{call.get('line')}"
    if entry.get("loss") == "generic":
        return "(generic baseline)"
    return "-"


def _with_call_sites(entries: list[dict]) -> list[dict]:
    from pathlib import Path

    for entry in entries:
        try:
            card = json.loads((Path(entry["path"]) / "card.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError):
            continue
        if not isinstance(card, dict):
            continue
        data = card.get("data")
        entry["call"] = card.get("call")
        entry["data"] = data.get("source") if isinstance(data, dict) else None
    return entries


@uses_settings("cache", keys=("cache",))
def run(args: argparse.Namespace) -> int:
    from chameleonapi import store

    if args.action == "clear":
        from chameleonapi.errors import DataError

        try:
            removed = store.clear()
            features = clear_features()
        except store.NotOwnFolder as exc:
            raise DataError(f"{exc} (is {config.home()} the cache's own folder? see CHAMELEONAPI_HOME)") from None
        print(f"removed {removed} model(s) from {store.models_dir()} and {features} feature file(s)")
        return 0
    entries = _with_call_sites(store.list_entries())
    if getattr(args, "json", False):
        print(json.dumps(entries, indent=1))
        return 0
    if not entries:
        print(f"no models in {store.models_dir()}")
        return 0
    rows = []
    for e in entries:
        rate = e.get("val_incorrect")
        rows.append([e["key"], e["status"], _serves(e), e.get("data") or "-", e.get("loss") or "-",
                     f"{rate:.3f}" if isinstance(rate, (int, float)) else "-", f"{e['bytes'] / 1e6:.1f}",
                     e.get("name") or (f"({e['reason']})" if e.get("reason") else "")])
    sys.stdout.write(render_table(["key", "status", "serves", "data", "loss", "val_incorrect", "MB", "name"],
                                  rows, right=(5, 6)))
    return 0
