"""The `chameleonapi` command: demo, analyze, train, eval, cache."""

from __future__ import annotations

import argparse
import logging
import sys
from importlib import import_module

# Subcommand modules, each exposing `register(subparsers)`; imported only when present.
COMMAND_MODULES = (
    "chameleonapi.demo",
    "chameleonapi.analysis.cli",
    "chameleonapi.train_cli",
    "chameleonapi.eval_cli",
    "chameleonapi.store_cli",
)


def build_parser() -> argparse.ArgumentParser:
    from chameleonapi import __version__

    parser = argparse.ArgumentParser(
        prog="chameleonapi",
        description="Cloud vision APIs customized to the application that calls them.",
    )
    parser.add_argument("--version", action="version", version=f"chameleonapi {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s"
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
