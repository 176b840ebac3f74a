"""Cached tensors (computed features) under `home()/features/`: checksummed, locked, owned.

Each file is a safetensors file whose metadata carries the sha256 of its tensors' bytes, so a
flipped byte is caught like damaged weights and the features are computed again instead of
being trained on silently. Files are written atomically under a per-file lock (bounded wait,
stale holders broken: `chameleonapi.locks`), in a folder carrying the cache's marker;
`clear()` removes only the files named the way this module names them. With a shared store
(`CHAMELEONAPI_STORE`) a missing file is first fetched from it, and a computed one published
there (`features/<name>`), so a fleet computes each data set's features once.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from chameleonapi import config
from chameleonapi.artifacts import clear_owned, mark_owned
from chameleonapi.atomic import atomic_write_via
from chameleonapi.locks import FileLock

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["OWN_NAME", "clear", "features_dir", "get_or_compute", "is_own", "pull", "push", "read", "shared_key", "write"]

logger = logging.getLogger("chameleonapi")
CHECKSUM = "sha256"
# <digest>.safetensors, photos-<digest>.safetensors, det-<digest>.safetensors; their locks and temp files
OWN_NAME = re.compile(r"\.?(?:photos-|det-)?[0-9a-f]{20}\.safetensors(?:\.lock|\.[^/]*\.tmp)?")


def features_dir() -> Path:
    return config.home() / "features"


def is_own(name: str) -> bool:
    return bool(OWN_NAME.fullmatch(name))


def _digest(tensors: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().contiguous().cpu()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}\n".encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


def read(path: Path, *, warn: bool = True) -> dict[str, torch.Tensor] | None:
    """The tensors stored at `path`, or None when absent, unreadable or not matching their
    checksum (said as a warning unless `warn` is off)."""
    from safetensors import SafetensorError, safe_open

    if not path.exists():
        return None
    try:
        with safe_open(str(path), framework="pt") as fh:
            stored = (fh.metadata() or {}).get(CHECKSUM)
            tensors = {name: fh.get_tensor(name) for name in fh.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError):
        if warn:
            logger.warning("cached features %s are unreadable; computing them again", path.name)
        return None
    if stored != _digest(tensors):
        if warn:
            logger.warning("cached features %s do not match their checksum; computing them again", path.name)
        return None
    return tensors


def write(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> None:
    """Store `tensors` at `path` atomically, with the checksum of their bytes."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    meta = {**(metadata or {}), CHECKSUM: _digest(tensors)}
    atomic_write_via(path, lambda tmp: save_file(tensors, str(tmp), metadata=meta))
    mark_owned(path.parent)


def get_or_compute(
    path: Path,
    compute: Callable[[], dict[str, torch.Tensor]],
    *,
    accept: Callable[[dict[str, torch.Tensor]], bool] = lambda _: True,
    fallback: Callable[[], dict[str, torch.Tensor] | None] | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, torch.Tensor]:
    """The tensors at `path` if whole and `accept`ed; else made once across processes.

    `fallback()` may supply them without computing (e.g. rows of a cached superset). Waiting
    for another process computing the same file is bounded (`LockTimeout` past it)."""
    def cached(warn: bool) -> dict[str, torch.Tensor] | None:
        got = read(path, warn=warn)
        return got if got is not None and accept(got) else None

    got = cached(True)
    if got is not None:
        return got
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        got = cached(False)  # written meanwhile by another process? (a fault was said above)
        if got is None and pull(path):
            got = cached(True)
        if got is None and fallback is not None:
            got = fallback()
        if got is not None:
            return got
        got = compute()
        write(path, got, metadata)
        push(path)
        return got


def shared_key(path: Path) -> str:
    return f"features/{Path(path).name}"


def pull(path: Path) -> bool:
    """Copy the file of `path` from the shared store (`CHAMELEONAPI_STORE`), if it has one.

    Its tensors' checksum is checked by `read` like any cached file's; a store that cannot be
    reached is said once and the features are computed here."""
    from chameleonapi.objectstore import configured

    shared = configured()
    if shared is None:
        return False
    try:
        data = shared.get(shared_key(path))
    except Exception as exc:
        _say_store_failure(shared.url, exc)
        return False
    if data is None:
        return False
    atomic_write_via(path, lambda tmp: tmp.write_bytes(data))
    mark_owned(path.parent)
    return True


def push(path: Path) -> None:
    """Publish a computed file to the shared store, if there is one (best effort: said once)."""
    from chameleonapi.objectstore import configured

    shared = configured()
    if shared is None:
        return
    try:
        shared.put(shared_key(path), path.read_bytes())
    except Exception as exc:
        _say_store_failure(shared.url, exc)


_said: set[str] = set()


def _say_store_failure(url: str, exc: BaseException) -> None:
    if url not in _said:
        _said.add(url)
        logger.warning("the shared store %s could not be used for features (%s); computing them here", url, exc)


def clear() -> int:
    """Remove the cached feature files (only those this module names); returns how many.

    Raises `artifacts.NotOwnFolder` when the folder is not the cache's (nothing removed)."""
    folder = features_dir()
    if not folder.is_dir():
        return 0
    count = sum(1 for p in folder.iterdir() if p.name.endswith(".safetensors") and is_own(p.name))
    clear_owned(folder, is_own)
    return count
