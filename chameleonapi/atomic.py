"""Atomic file writes: write a sibling temp file, fsync, then rename over the target."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write_via(target: Path, write: Callable[[Path], object]) -> None:
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

    Readers see either no entry, the old one, or the complete new one. Whatever stood at
    `target` (a folder, a stray file, a symbolic link) is renamed out of the way first and
    removed only once the new folder is in place; a link is removed, never followed.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    old: Path | None = None
    try:
        write(tmp)
        if os.path.lexists(target):
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
            os.rmdir(old)
            os.replace(target, old)
        try:
            os.replace(tmp, target)
        except OSError:
            if old is not None and not os.path.lexists(target):
                os.replace(old, target)  # put the previous entry back
                old = None
            raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            remove_path(old)
    return target


def remove_path(path: Path) -> None:
    """Remove a folder tree, a file or a symbolic link (the link, not what it points to)."""
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        try:
            path.unlink()
        except OSError:
            pass
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
