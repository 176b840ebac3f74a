"""The model store: customized models on disk, keyed by everything that made them.

An entry is `home()/models/<key>/` with `model.safetensors` and `card.json`; the key is
the hash of the key parts (spec, base, data, training config, library version), so any
change trains a new model. Entries are written to a temporary folder and renamed into
place (readers never see half an entry); `get_or_create` holds a file lock per key, so two
processes starting together train once. A corrupt entry (checksum mismatch, missing or
unreadable files) is discarded and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chameleonapi import config
from chameleonapi.atomic import atomic_write_dir

logger = logging.getLogger("chameleonapi")
CARD = "card.json"
LOCK_TIMEOUT_S = 3600


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

    models_dir().mkdir(parents=True, exist_ok=True)
    return FileLock(str(models_dir() / f".{key}.lock"), timeout=LOCK_TIMEOUT_S)


def _load(path: Path):
    """The model at `path`, or None if absent; corrupt entries are removed."""
    from chameleonapi.model.custom import CorruptModel, CustomModel

    if not path.exists():
        return None
    try:
        return CustomModel.load(path)
    except CorruptModel as exc:
        logger.warning("chameleonapi: discarding corrupt model %s (%s)", path.name, exc)
        shutil.rmtree(path, ignore_errors=True)
        return None


def lookup(key_parts: dict[str, Any]):
    """The stored model for these key parts, or None (never trains)."""
    return _load(entry_path(key_of(key_parts)))


def put(key_parts: dict[str, Any], model) -> Path:
    """Store `model` atomically under the key of `key_parts`; returns its folder."""
    from chameleonapi import __version__

    key = key_of(key_parts)
    extra = {"key": key, "key_parts": key_parts, "library_version": __version__}
    return atomic_write_dir(entry_path(key), lambda tmp: model.save(tmp, extra=extra))


def get_or_create(key_parts: dict[str, Any], build_fn: Callable[[], Any]):
    """The stored model for `key_parts`; built by `build_fn()` and stored if missing.

    Concurrent callers (threads or processes) with the same key build it once: the others
    wait on the key's file lock, then load what the first one stored.
    """
    key = key_of(key_parts)
    model = _load(entry_path(key))
    if model is not None:
        return model
    with _lock(key):
        model = _load(entry_path(key))
        if model is not None:
            return model
        built = build_fn()
        put(key_parts, built)
        return built


def list_entries() -> list[dict[str, Any]]:
    """One summary per stored model (unreadable cards are listed as such)."""
    out = []
    if not models_dir().exists():
        return out
    for path in sorted(p for p in models_dir().iterdir() if p.is_dir() and not p.name.startswith(".")):
        info: dict[str, Any] = {"key": path.name, "path": str(path)}
        try:
            card = json.loads((path / CARD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info["status"] = "corrupt"
        else:
            metrics = card.get("metrics") or {}
            info.update(
                status="ok",
                name=card.get("name"),
                loss=card.get("loss"),
                provider=card.get("provider"),
                val_incorrect=metrics.get("val_incorrect"),
                generic_val_incorrect=(card.get("validation") or {}).get("generic"),
                served=(card.get("validation") or {}).get("served"),
                data=(card.get("data") or {}).get("source"),
                library_version=card.get("library_version"),
            )
        info["bytes"] = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
        out.append(info)
    return out


def clear() -> int:
    """Remove every stored model; returns how many entries were removed."""
    entries = list_entries()
    if models_dir().exists():
        for path in models_dir().iterdir():
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.name.endswith(".lock"):
                try:
                    path.unlink()
                except OSError:
                    pass
    return len(entries)
