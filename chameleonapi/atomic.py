"""Atomic file writes: write a sibling temp file, fsync, then rename over the target."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write_via(target: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp_path)` then atomically move the result to `target`.

    Readers in other processes see either the old file or the complete new one.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_bytes(target: Path, data: bytes) -> None:
    atomic_write_via(Path(target), lambda tmp: tmp.write_bytes(data))


def atomic_write_text(target: Path, text: str) -> None:
    atomic_write_bytes(Path(target), text.encode("utf-8"))


def atomic_write_dir(target: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp_dir)` then rename the folder to `target` (replacing an old one).

    Readers see either no entry, the old one, or the complete new one.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        write(tmp)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
