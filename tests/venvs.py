"""Throw-away virtual environments for tests that need an interpreter with a chosen set of
packages (an install under test, or the core dependencies only), built offline in a second."""

from __future__ import annotations

import os
import subprocess
import venv
from collections.abc import Iterable
from pathlib import Path


def make_venv(folder: Path, paths: Iterable[str | Path]) -> tuple[Path, Path]:
    """A venv at `folder` (no pip) whose site-packages adds `paths` to sys.path through one
    path file; returns its interpreter and its site-packages folder."""
    venv.EnvBuilder(with_pip=False).create(folder)
    python = folder / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    (purelib / "outer.pth").write_text("".join(f"{path}\n" for path in paths))
    return python, purelib


def run_in(python: Path, code: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run `code` in `python` without this process's PYTHONPATH and chameleonapi switch."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CHAMELEONAPI")}
    return subprocess.run([str(python), "-c", code, *args], capture_output=True, text=True, timeout=120,
                          env={**clean, **env}, cwd=python.parent)
