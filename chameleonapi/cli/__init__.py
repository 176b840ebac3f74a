"""The `chameleonapi` command: demo, analyze, train, eval, cache, run.

Mistakes a user can fix (a bad setting, a missing path, unusable data, a missing extra)
end as one line on stderr and exit code 2; only real bugs show a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from types import ModuleType

__all__ = ["build_parser", "command_modules", "main"]


def command_modules() -> tuple[ModuleType, ...]:
    """The subcommand modules, each exposing `register(subparsers)`, in help order (each is
    light: the heavy work of a command imports what it needs when it runs)."""
    from chameleonapi.analysis import cli as analyze
    from chameleonapi.cli import cache, demo, run, train
    from chameleonapi.cli import eval as evaluate

    return (demo, analyze, train, evaluate, cache, run)


def build_parser() -> argparse.ArgumentParser:
    from chameleonapi import __version__

    parser = argparse.ArgumentParser(
        prog="chameleonapi",
        description="Cloud vision APIs customized to the application that calls them.",
    )
    parser.add_argument("--version", action="version", version=f"chameleonapi {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in command_modules():
        module.register(subparsers)
    return parser


def _one_line(exc: BaseException) -> str:
    """A user-facing sentence for an expected error."""
    from chameleonapi.errors import DataError, MissingExtra, SettingsError

    if isinstance(exc, (SettingsError, DataError, MissingExtra)):
        return str(exc)
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{exc.filename} does not exist"
    if isinstance(exc, PermissionError) and exc.filename:
        return f"{exc.filename}: permission denied"
    if type(exc).__name__ == "UnidentifiedImageError":  # PIL: not an image, or a corrupt one
        return f"{exc} (not an image, or a corrupt one: remove or replace it)"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def _expected(exc: BaseException) -> bool:
    from chameleonapi.errors import DataError, MissingExtra, SettingsError

    return isinstance(exc, (SettingsError, DataError, MissingExtra, OSError))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s"
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from chameleonapi import config

    config.set_project(os.getcwd())  # commands given an application look from its file instead
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if not _expected(exc):
            raise
        print(f"chameleonapi {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
