"""What every command shares: the settings flags, and the line that says which settings it uses."""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator

from chameleonapi import config

__all__ = ["add_settings_flags", "describe_settings", "positive_int", "uses_settings"]

# argparse attribute -> setting key
_FLAGS = {"data": "data", "budget": "budget", "label_map": "label_map", "threads": "threads", "train_mode": "train", "progress": "progress",
          "ray": "ray", "store": "store"}


def configured_data() -> str:
    """The data to customize with (flag > environment > pyproject); a one-line error when none is set."""
    data = config.data_source()
    if data is None:
        from chameleonapi.errors import DataError

        raise DataError(
            "no data to customize with: pass --data <image folder or CSV of labeled photos> "
            "(or --data builtin for the built-in silhouettes), or set CHAMELEONAPI_DATA"
        )
    return data


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def add_settings_flags(parser: argparse.ArgumentParser, *, data: bool = True, budget: bool = True,
                       progress: bool = True) -> None:
    """--data, --budget, --threads, --progress/--no-progress; unset flags fall back to the settings."""
    group = parser.add_argument_group("settings (flag > CHAMELEONAPI_* variable > pyproject.toml > default)")
    if data:
        group.add_argument("--data", metavar="DATA",
                           help="builtin, an image folder (one sub-folder per label) or a CSV file "
                                "(default: CHAMELEONAPI_DATA, else builtin)")
    if budget:
        group.add_argument("--budget", choices=config.BUDGETS,
                           help="training budget preset (default: CHAMELEONAPI_BUDGET, else default)")
    group.add_argument("--threads", type=int, metavar="N",
                       help="torch intra-op threads (default: CHAMELEONAPI_THREADS, else 1; 0: torch's own)")
    if progress:
        group.add_argument("--progress", dest="progress", action="store_const", const=True,
                           help="show progress bars (default: only on a terminal)")
        group.add_argument("--no-progress", dest="progress", action="store_const", const=False,
                           help="hide progress bars")


def _flag_values(args: argparse.Namespace) -> dict:
    values = {key: getattr(args, attr) for attr, key in _FLAGS.items() if getattr(args, attr, None) is not None}
    if isinstance(values.get("label_map"), list):  # --map given more than once
        values["label_map"] = ",".join(values["label_map"])
    return values


def _device() -> str:
    device = getattr(config, "device", None)
    return str(device()) if callable(device) else "cpu"


def describe_settings(keys: tuple[str, ...]) -> str:
    """One line: each setting's value and where it came from (flag, variable, file, default)."""
    parts = []
    for key in keys:
        if key == "device":
            parts.append(f"device {_device()}")
        elif key == "cache":
            parts.append(f"cache {config.home()} ({config.source_of('home')})")
        else:
            parts.append(f"{key} {config.get(key)} ({config.source_of(key)})")
    return "; ".join(parts)


@contextlib.contextmanager
def _applied(args: argparse.Namespace, command: str, keys: tuple[str, ...]) -> Iterator[None]:
    # pyproject.toml is looked up from the application's file, else from the working directory
    previous = config.set_project(getattr(args, "app", None) or os.getcwd())
    try:
        with config.override(**_flag_values(args)):
            config.resolve()  # every setting validated once, before any work
            print(f"chameleonapi {command}: {describe_settings(keys)}", file=sys.stderr)
            yield
    finally:
        config.set_project(previous)


def uses_settings(command: str, keys: tuple[str, ...] = ("data", "budget", "device", "cache")):
    """Decorator for a command's `run(args)`: apply its flags as settings and say what it uses."""

    def wrap(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        @functools.wraps(run)
        def inner(args: argparse.Namespace) -> int:
            with _applied(args, command, keys):
                return run(args)

        return inner

    return wrap
