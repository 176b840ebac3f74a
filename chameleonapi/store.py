"""The model store: customized models on disk, keyed by everything that made them.

An entry is `home()/models/<key>/` with `model.safetensors`, `card.json` and `SHA256SUMS`
(the sha256 of every other file, card included); the key is the hash of the key parts
(spec, base, data, training config, library version), so any change trains a new model.
Entries are written to a temporary folder and renamed into place (readers never see half
an entry); `get_or_create` holds a file lock per key, so two processes starting together
train once.

Only a fault of the entry itself (a checksum that does not match, a missing file, a
folder that is not a folder, tensors that do not fit the card) marks it corrupt. A corrupt
entry is renamed aside to `<key>.corrupt-<time>` and kept until its rebuild has been
stored, then removed. A bad setting (`SettingsError`) or an unreadable or unwritable cache
folder is not corruption: nothing is moved, and the caller is told.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from chameleonapi import config
from chameleonapi.atomic import atomic_write_dir, atomic_write_text, remove_path
from chameleonapi.errors import SettingsError

__all__ = [
    "CorruptEntry", "StoreUnwritable", "check_entry", "clear", "drop_aside", "entry_path", "get_or_create",
    "is_unwritable", "key_of", "list_entries", "lookup", "models_dir", "move_aside", "put", "warn_unwritable",
    "write_entry",
]

logger = logging.getLogger("chameleonapi")
CARD = "card.json"
WEIGHTS = "model.safetensors"
SUMS = "SHA256SUMS"
ASIDE = ".corrupt-"
LOCK_TIMEOUT_S = 3600
_UNWRITABLE = {
    errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR, errno.EEXIST,
}
_warned_homes: set[str] = set()
_warn_lock = threading.Lock()


class CorruptEntry(Exception):
    """A cache entry failed its own checks (checksum, layout or format)."""


class StoreUnwritable(OSError):
    """The cache folder cannot hold a new entry (read-only, not a folder, full, no permission)."""


# ------------------------------------------------------------------ generic entry helpers
def is_unwritable(exc: BaseException) -> bool:
    """Is `exc` the cache folder refusing a write (as opposed to a fault of an entry)?"""
    return isinstance(exc, StoreUnwritable) or (isinstance(exc, OSError) and exc.errno in _UNWRITABLE)


def warn_unwritable(exc: BaseException) -> None:
    """Say once per cache folder that it cannot be written and what is served instead."""
    home = str(config.home())
    with _warn_lock:
        if home in _warned_homes:
            return
        _warned_homes.add(home)
    reason = getattr(exc, "strerror", None) or str(exc)
    logger.warning("the cache folder %s is not writable (%s); working from memory: the "
                   "generic model answers and nothing new is stored", home, reason)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_sums(folder: Path) -> None:
    """Write `folder/SHA256SUMS` over every regular file in it (`sha256sum -c` reads it)."""
    folder = Path(folder)
    names = sorted(
        p.name for p in folder.iterdir() if p.is_file() and p.name != SUMS and not p.name.startswith(".")
    )
    text = "".join(f"{sha256_file(folder / name)}  {name}\n" for name in names)
    atomic_write_text(folder / SUMS, text)


def check_entry(path: Path, required: Iterable[str]) -> str | None:
    """Why the entry at `path` is corrupt, or None when every file matches `SHA256SUMS`.

    Raises OSError (not corruption) when the folder cannot be read at all.
    """
    path = Path(path)
    if path.is_symlink() and not path.exists():
        return "a symbolic link to nothing"
    if not path.is_dir():
        return "not a folder"
    try:
        text = (path / SUMS).read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return f"no {SUMS}"
    except UnicodeDecodeError:
        return f"{SUMS} is not text"
    sums: dict[str, str] = {}
    for line in text.splitlines():
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name or "/" in name or name in (".", ".."):
            return f"{SUMS} is malformed"
        sums[name] = digest.lower()
    missing = [name for name in required if name not in sums]
    if missing:
        return f"{SUMS} does not cover {', '.join(missing)}"
    for name, digest in sums.items():
        file = path / name
        if not file.is_file():
            return f"{name} is missing"
        if sha256_file(file) != digest:
            return f"{name} does not match its checksum"
    return None


def move_aside(path: Path, reason: str) -> Path | None:
    """Rename a corrupt entry to `<name>.corrupt-<time>` (kept until its rebuild is stored)."""
    path = Path(path)
    aside = path.with_name(f"{path.name}{ASIDE}{time.strftime('%Y%m%dT%H%M%S')}")
    n = 1
    while os.path.lexists(aside):
        n += 1
        aside = aside.with_name(f"{path.name}{ASIDE}{time.strftime('%Y%m%dT%H%M%S')}-{n}")
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        return None  # another process moved it first
    logger.warning("cache entry %s is corrupt (%s); moved aside to %s and rebuilding",
                   path.name, reason, aside.name)
    return aside


def drop_aside(path: Path) -> None:
    """Remove the corrupt copies of `path` once a good entry is stored in its place."""
    path = Path(path)
    if not path.parent.is_dir():
        return
    for other in path.parent.iterdir():
        if other.name.startswith(f"{path.name}{ASIDE}"):
            remove_path(other)


def write_entry(path: Path, write: Callable[[Path], None]) -> Path:
    """Write an entry folder atomically with its `SHA256SUMS`, then drop corrupt copies."""
    def write_all(tmp: Path) -> None:
        write(tmp)
        write_sums(tmp)

    atomic_write_dir(path, write_all)
    drop_aside(path)
    return path


# ------------------------------------------------------------------ customized models
def models_dir() -> Path:
    return config.home() / "models"


def key_of(key_parts: dict[str, Any]) -> str:
    """Stable hash of the key parts (canonical JSON; the library version is added)."""
    from chameleonapi import __version__

    parts = {"library": __version__, **key_parts}
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def entry_path(key: str) -> Path:
    return models_dir() / key


def _lock(key: str):
    from filelock import FileLock

    try:
        models_dir().mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(models_dir() / f".{key}.lock"), timeout=LOCK_TIMEOUT_S)
        lock.acquire()
    except OSError as exc:
        raise StoreUnwritable(exc.errno, f"cannot lock {models_dir()}: {exc.strerror or exc}") from exc
    return lock


def _card_fits(card: Any, n_vocab: int | None) -> str | None:
    if not isinstance(card, dict):
        return "card is not an object"
    size = card.get("input_size")
    if not isinstance(size, int) or not 16 <= size <= 1024:
        return f"card input_size {size!r} is out of range"
    source, names = card.get("source"), card.get("output_names")
    if not isinstance(source, list) or not isinstance(names, list) or len(source) != len(names):
        return "card source/output_names do not match"
    if any(not isinstance(i, int) or i < 0 or (n_vocab is not None and i >= n_vocab) for i in source):
        return "card source points outside the vocabulary"
    return None


def _read(path: Path):
    """The model at `path`; None if absent; CorruptEntry for a fault of the entry itself."""
    from chameleonapi.model.backbone import configure_threads
    from chameleonapi.model.custom import CorruptModel, CustomModel

    if not os.path.lexists(path):
        return None
    reason = check_entry(path, (CARD, WEIGHTS))
    if reason is not None:
        raise CorruptEntry(reason)
    configure_threads()  # a bad setting surfaces here, never as a broken entry
    try:
        model = CustomModel.load(path, verify=False)
    except CorruptModel as exc:
        if isinstance(exc.__cause__, SettingsError):
            raise exc.__cause__ from None
        if isinstance(exc.__cause__, OSError) and is_unwritable(exc.__cause__):
            raise exc.__cause__ from None
        raise CorruptEntry(str(exc)) from exc
    except SettingsError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptEntry(f"card does not fit the weights ({exc})") from exc
    problem = _card_fits(model.card, len(model.vocab_labels))
    if problem is not None:
        raise CorruptEntry(problem)
    return model


def lookup(key_parts: dict[str, Any]):
    """The stored model for these key parts, or None (never trains; a corrupt one is moved aside)."""
    path = entry_path(key_of(key_parts))
    try:
        return _read(path)
    except CorruptEntry as exc:
        move_aside(path, str(exc))
        return None


def put(key_parts: dict[str, Any], model) -> Path:
    """Store `model` atomically under the key of `key_parts`; returns its folder."""
    from chameleonapi import __version__

    key = key_of(key_parts)
    extra = {"key": key, "key_parts": key_parts, "library_version": __version__}
    return write_entry(entry_path(key), lambda tmp: model.save(tmp, extra=extra))


def get_or_create(key_parts: dict[str, Any], build_fn: Callable[[], Any]):
    """The stored model for `key_parts`; built by `build_fn()` and stored if missing.

    Concurrent callers (threads or processes) with the same key build it once: the others
    wait on the key's file lock, then load what the first one stored. A corrupt entry is
    moved aside under the lock and rebuilt. When the cache folder refuses writes the model
    cannot be stored: `StoreUnwritable` is raised before any build starts.
    """
    key = key_of(key_parts)
    path = entry_path(key)
    try:
        model = _read(path)
    except CorruptEntry:
        model = None  # moved aside below, under the lock
    if model is not None:
        return model
    lock = _lock(key)
    try:
        try:
            model = _read(path)
        except CorruptEntry as exc:
            move_aside(path, str(exc))
            model = None
        if model is not None:
            return model
        built = build_fn()
        try:
            put(key_parts, built)
        except OSError as exc:
            if not is_unwritable(exc):
                raise
            warn_unwritable(exc)  # serve what was built; it is not kept
        return built
    finally:
        lock.release()


def _vocab_size(card: Any) -> int | None:
    """How many labels the card's model scores (None: not recorded, as in photo models' cards)."""
    if not isinstance(card, dict):
        return 0
    labels = card.get("vocab_labels")
    return len(labels) if isinstance(labels, list) else None


def _summary(path: Path) -> dict[str, Any]:
    info: dict[str, Any] = {"key": path.name, "path": str(path), "status": "corrupt", "bytes": 0}
    try:
        if ASIDE in path.name:
            info.update(key=path.name.split(ASIDE)[0], status="moved aside")
        if path.is_dir() and not path.is_symlink():
            info["bytes"] = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
        else:
            info["bytes"] = path.lstat().st_size
        reason = check_entry(path, (CARD, WEIGHTS))
        if reason is None:
            card = json.loads((path / CARD).read_text(encoding="utf-8"))
            reason = _card_fits(card, _vocab_size(card))
        if reason is not None:
            info["reason"] = reason
            return info
        metrics = card.get("metrics") if isinstance(card.get("metrics"), dict) else {}
        rate = metrics.get("val_incorrect")
        validation = card.get("validation") if isinstance(card.get("validation"), dict) else {}
        data = card.get("data") if isinstance(card.get("data"), dict) else {}
        info.update(
            status="ok" if ASIDE not in path.name else "moved aside",
            name=str(card.get("name") or ""),
            loss=card.get("loss") if isinstance(card.get("loss"), str) else None,
            provider=card.get("provider") if isinstance(card.get("provider"), str) else None,
            val_incorrect=rate if isinstance(rate, (int, float)) and not isinstance(rate, bool) else None,
            generic_val_incorrect=validation.get("generic"),
            served=validation.get("served"),
            data=data.get("source"),
            library_version=card.get("library_version"),
        )
    except Exception as exc:  # a summary never fails: anything odd is reported as corrupt
        info["reason"] = f"unreadable ({type(exc).__name__}: {exc})"
    return info


def list_entries() -> list[dict[str, Any]]:
    """One summary per stored model (damaged entries and moved-aside copies are listed as such)."""
    try:
        paths = sorted(p for p in models_dir().iterdir() if not p.name.startswith("."))
    except OSError:
        return []
    return [_summary(path) for path in paths]


def clear() -> int:
    """Remove every stored model (and corrupt copies); returns how many entries were removed."""
    entries = list_entries()
    try:
        paths = list(models_dir().iterdir())
    except OSError:
        return 0
    for path in paths:
        if not path.name.startswith(".") or path.name.endswith(".lock"):
            remove_path(path)
    return len(entries)
