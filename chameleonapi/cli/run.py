"""`chameleonapi run python app.py ...`: run a program with chameleonapi switched on.

In the manner of `opentelemetry-instrument` and `ddtrace-run`: the launcher sets
`CHAMELEONAPI=1` (and any setting given as a flag) in the environment and replaces itself
with the command. At the program's start the installed `chameleonapi-bootstrap.pth` sees
the variable and registers import hooks; the SDKs are patched when the program imports them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import site
import sys
from pathlib import Path

from chameleonapi import config

__all__ = ["child_environment", "register", "run"]

_SETTING_FLAGS = {"data": "data", "budget": "budget", "train": "train", "threads": "threads", "home": "home"}


def _pth_installed() -> bool:
    folders = [*site.getsitepackages(), site.getusersitepackages(), *sys.path]
    return any((Path(f) / "chameleonapi-bootstrap.pth").is_file() for f in folders if f)


def child_environment(args: argparse.Namespace, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the command runs with: the switch, the flags, the providers."""
    env = dict(os.environ if environ is None else environ)
    env["CHAMELEONAPI"] = "1"
    for attr, key in _SETTING_FLAGS.items():
        value = getattr(args, attr, None)
        if value is not None:
            env[config.SETTINGS[key].env] = str(value)
    if args.providers:
        from chameleonapi.patches import PROVIDERS

        wanted = [p.strip() for p in args.providers.split(",") if p.strip()]
        unknown = [p for p in wanted if p not in PROVIDERS]
        if unknown:
            raise config.SettingsError(f"--providers: unknown provider(s) {unknown}; known: {', '.join(PROVIDERS)}")
        for name in PROVIDERS:
            env[f"CHAMELEONAPI_{name.upper()}_ENABLED"] = "1" if name in wanted else "0"
    if not _pth_installed():
        # Not installed with its .pth (a bare checkout): start through a sitecustomize instead.
        boot = str(Path(__file__).resolve().parent.parent / "_boot")
        root = str(Path(__file__).resolve().parent.parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (boot, root, env.get("PYTHONPATH")) if p)
    return env


def run(args: argparse.Namespace) -> int:
    command = list(args.command_line)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise config.SettingsError("give the command to start, e.g. chameleonapi run python app.py")
    env = child_environment(args)
    with config.override(**{k: getattr(args, a) for a, k in _SETTING_FLAGS.items() if getattr(args, a, None) is not None}):
        config.resolve()  # a bad setting stops here, before the program starts
        from chameleonapi.cli.common import describe_settings

        print(f"chameleonapi run: {describe_settings(('data', 'budget', 'train', 'device', 'cache'))}",
              file=sys.stderr)
    executable = shutil.which(command[0], path=env.get("PATH"))
    if executable is None:
        raise FileNotFoundError(2, "No such file or directory", command[0])
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe(executable, command, env)
    return 0  # pragma: no cover - exec does not return


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a program with its vision SDK calls served locally (sets CHAMELEONAPI=1)",
        description="Run COMMAND (e.g. python app.py) with chameleonapi enabled from the start, "
        "without changing the program: the same as `CHAMELEONAPI=1 COMMAND`, with settings as flags.",
    )
    parser.add_argument("--data", help="CHAMELEONAPI_DATA: builtin, an image folder or a CSV file")
    parser.add_argument("--budget", choices=config.BUDGETS, help="CHAMELEONAPI_BUDGET")
    parser.add_argument("--train", choices=config.TRAIN_MODES, help="CHAMELEONAPI_TRAIN: what a first call does")
    parser.add_argument("--threads", type=int, help="CHAMELEONAPI_THREADS")
    parser.add_argument("--home", help="CHAMELEONAPI_HOME: cache folder")
    parser.add_argument("--providers", help="comma-separated providers to serve (default: all)")
    parser.add_argument("command_line", nargs=argparse.REMAINDER, metavar="COMMAND ...",
                        help="the program to run, e.g. python app.py")
    parser.set_defaults(func=run)
