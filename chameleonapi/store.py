"""The model store: customized models on disk, the `models` shelf of the artifact store.

An entry is `home()/models/<key>/` with `model.safetensors`, `card.json` and `SHA256SUMS`
(the sha256 of every other file, card included); the key is the hash of the key parts
(spec, base, data, training config, library version), so any change trains a new model.
Checksums, atomic writes, the per-key file lock and moving corrupt entries aside are the
artifact store's (`chameleonapi.artifacts`, shared with the detector heads); this module
adds what a model entry is: the reader that loads a `PhotoModel` and checks its card, and
the listing behind `chameleonapi cache list`. A bad setting (`SettingsError`) or an
unreadable or unwritable cache folder is not corruption: nothing is moved.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chameleonapi.artifacts import (
    ASIDE,
    SUMS,
    CorruptEntry,
    NotOwnFolder,
    Shelf,
    StoreUnwritable,
    check_entry,
    clear_owned,
    drop_aside,
    is_unwritable,
    move_aside,
    sha256_file,
    warn_unwritable,
    write_entry,
    write_sums,
)
from chameleonapi.errors import SettingsError

__all__ = [
    "ASIDE", "CARD", "SUMS", "WEIGHTS", "CorruptEntry", "NotOwnFolder", "StoreUnwritable", "check_entry", "clear", "drop_aside",
    "entry_path", "get_or_create", "is_unwritable", "key_of", "list_entries", "lookup", "models_dir", "move_aside",
    "put", "sha256_file", "warn_unwritable", "write_entry", "write_sums",
]

CARD = "card.json"
WEIGHTS = "model.safetensors"


def _is_list_of(value: Any, kind: type) -> bool:
    return isinstance(value, list) and all(isinstance(v, kind) and not isinstance(v, bool) for v in value)


def card_schema_problem(card: Any) -> str | None:
    """Why a card does not validate against the schema the loaders read, or None.

    Valid JSON of the wrong shape (a list, `label_space` a string) is a corrupt entry like a
    bad checksum: moved aside and rebuilt, never an error on every start."""
    if not isinstance(card, dict):
        return f"card is a JSON {type(card).__name__}, not an object"
    if card.get("kind") != "photo":
        return f"card kind {card.get('kind')!r} is not a model this library reads"
    if not isinstance(card.get("sha256"), str):
        return "card sha256 is not a string"
    if not _is_list_of(card.get("output_names"), str):
        return "card output_names is not a list of strings"
    if not _is_list_of(card.get("source"), int):
        return "card source is not a list of whole numbers"
    space = card.get("label_space")
    if space is not None and not isinstance(space, dict):
        return "card label_space is not an object"
    leaves = (space or {}).get("new_leaves")
    if leaves is not None and not (isinstance(leaves, dict) and all(_is_list_of(v, str) for v in leaves.values())):
        return "card label_space new_leaves is not an object of label lists"
    if not _is_list_of(card.get("head_columns", []), int):
        return "card head_columns is not a list of whole numbers"
    if "format" in card and not isinstance(card["format"], int):
        return "card format is not a whole number"
    return None


def _card_fits(card: Any, n_vocab: int | None) -> str | None:
    problem = card_schema_problem(card)
    if problem is not None:
        return problem
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
    """The model of an entry whose checksums passed; CorruptEntry for a fault of the entry itself."""
    from chameleonapi.model.backbone import configure_threads
    from chameleonapi.model.files import CorruptModel
    from chameleonapi.model.photo import PhotoModel

    configure_threads()  # a bad setting surfaces here, never as a broken entry
    try:
        card = json.loads((path / CARD).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptEntry(f"card is not JSON ({exc})") from exc
    problem = card_schema_problem(card)
    if problem is not None:
        raise CorruptEntry(problem)
    try:
        model = PhotoModel.load(path, verify=False)
    except CorruptModel as exc:
        if isinstance(exc.__cause__, SettingsError):
            raise exc.__cause__ from None
        if isinstance(exc.__cause__, OSError) and is_unwritable(exc.__cause__):
            raise exc.__cause__ from None
        raise CorruptEntry(str(exc)) from exc
    except SettingsError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CorruptEntry(f"card does not fit the weights ({exc})") from exc
    problem = _card_fits(model.card, len(model.vocab_labels))
    if problem is not None:
        raise CorruptEntry(problem)
    return model


def _write(folder: Path, model, extra: dict[str, Any]) -> None:
    model.save(folder, extra=extra)


MODELS = Shelf("models", (CARD, WEIGHTS), _read, _write)
key_of = MODELS.key_of
entry_path = MODELS.path
models_dir = MODELS.root


def lookup(key_parts: dict[str, Any]):
    """The stored model for these key parts, or None (never trains; a corrupt one is moved aside)."""
    return MODELS.lookup(key_parts)


def put(key_parts: dict[str, Any], model) -> Path:
    """Store `model` atomically under the key of `key_parts`; returns its folder."""
    return MODELS.put(key_parts, model)


def get_or_create(key_parts: dict[str, Any], build_fn: Callable[[], Any]):
    """The stored model for `key_parts`; built by `build_fn()` and stored if missing.

    Concurrent callers (threads or processes) with the same key build it once; a corrupt
    entry is moved aside and rebuilt. When the cache folder refuses writes the model cannot
    be stored: `StoreUnwritable` is raised before any build starts.
    """
    return MODELS.get_or_create(key_parts, build_fn)


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
    """One summary per stored model (damaged entries and moved-aside copies are listed as such).

    Only entries the store writes (named by their key) are listed: anything else in the
    folder is not the cache's and is neither shown nor touched."""
    try:
        paths = sorted(p for p in models_dir().iterdir() if not p.name.startswith(".") and Shelf.is_own(p.name))
    except OSError:
        return []
    return [_summary(path) for path in paths]


def clear() -> int:
    """Remove the stored models (and corrupt copies) the store wrote; returns how many.

    Raises `NotOwnFolder` (nothing removed) when the models folder holds things the store did
    not write and carries no cache marker: a home that is not the cache's own."""
    return clear_owned(models_dir(), Shelf.is_own)
