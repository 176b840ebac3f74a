"""The artifact store: checksummed entries on disk, keyed by everything that made them.

One `Shelf` per kind of artifact (`models` for customized labelers, `detectors` for detector
heads) keeps entries under `home()/<kind>/<key>/`, each with a `SHA256SUMS` over its other
files (card included), so `sha256sum -c` checks one by hand. Entries are written to a
temporary folder and renamed into place (readers never see half an entry); `get_or_create`
holds a file lock per key, so two processes starting together build once.

Only a fault of the entry itself (a checksum that does not match, a missing file, a folder
that is not a folder, contents its reader rejects) marks it corrupt: it is renamed aside to
`<key>.corrupt-<time>` and kept until its rebuild has been stored. An unreadable or
unwritable cache folder is not corruption: nothing is moved, and the caller is told.

With a shared store (`CHAMELEONAPI_STORE`), the local folder is a read-through cache of it:
an entry missing here is pulled from the store (every file checked against the sha256 it
was published with), and one missing there is built by the one process holding the key's
lease (`chameleonapi.leases`) and published: its files under content-addressed keys
(`blobs/<sha256>`) first, then one manifest (`<kind>/<key>.json`) created with a
conditional write, so a reader sees a whole entry or none. The other processes do not wait
for it: they get `TrainingElsewhere` at once (or, in a thread marked `leases.waiting()`,
poll until the manifest appears or the lease expires and they take it over).

This module sits below the model, data and detection packages: it knows files, not models.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chameleonapi import config
from chameleonapi._version import __version__
from chameleonapi.atomic import atomic_write_dir, atomic_write_text, atomic_write_via, remove_path
from chameleonapi.errors import Error

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.objectstore import ObjectStore

__all__ = [
    "ASIDE", "MARKER", "SUMS", "CorruptEntry", "NotOwnFolder", "Shelf", "StoreUnwritable", "check_entry",
    "clear_owned", "drop_aside", "is_unwritable", "mark_owned", "move_aside", "owns_folder", "read_kept", "sha256_file", "sidecar_problem",
    "warn_unwritable", "write_entry", "write_sums",
]

logger = logging.getLogger("chameleonapi")
SUMS = "SHA256SUMS"
ASIDE = ".corrupt-"
MARKER = ".chameleonapi-cache"  # in every cache folder chameleonapi writes entries into
_MARKER_TEXT = (
    "This folder holds chameleonapi cache entries. `chameleonapi cache clear` removes only\n"
    "the entries it wrote here (named by their key); anything else is left alone.\n"
)
_UNWRITABLE = {
    errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR, errno.EEXIST,
}
_warned_homes: set[str] = set()
_warn_lock = threading.Lock()


class CorruptEntry(Error):
    """A cache entry failed its own checks (checksum, layout or format)."""


class StoreUnwritable(Error, OSError):
    """The cache folder cannot hold a new entry (read-only, not a folder, full, no permission)."""


class NotOwnFolder(Error):
    """A folder holds things the cache did not write and carries no cache marker: not cleared."""


def mark_owned(folder: Path) -> None:
    """Leave the cache's marker in a folder it writes entries into (best effort)."""
    marker = Path(folder) / MARKER
    if marker.exists():
        return
    try:
        atomic_write_text(marker, _MARKER_TEXT)
    except OSError:
        pass


def owns_folder(folder: Path, is_own: Callable[[str], bool]) -> bool:
    """Is `folder` the cache's: it carries the marker, or holds nothing but the cache's entries?"""
    folder = Path(folder)
    if (folder / MARKER).is_file():
        return True
    return all(is_own(p.name) for p in folder.iterdir())


def clear_owned(folder: Path, is_own: Callable[[str], bool]) -> int:
    """Remove the entries of `folder` that `is_own(name)` recognises; returns how many.

    Nothing else is touched, and a folder that is not the cache's (`owns_folder`) raises
    `NotOwnFolder` before anything is removed: a user's files never go with the cache."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    if folder.is_symlink() or not owns_folder(folder, is_own):
        raise NotOwnFolder(
            f"{folder} holds files chameleonapi did not write and no {MARKER} marker; nothing removed")
    removed = 0
    for path in folder.iterdir():
        if path.name != MARKER and is_own(path.name):
            remove_path(path)
            removed += not path.name.startswith(".")
    return removed


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


def sidecar_problem(path: Path, checksum_file: Path) -> str | None:
    """Why the existing `path` does not match the sha256 recorded in `checksum_file`
    (`sha256sum` format), or None when it does: one check for every converted or exported
    file kept beside its checksum."""
    if not path.is_file():
        return "not a regular file"
    try:
        recorded = checksum_file.read_text(encoding="ascii").split()[0]
    except (FileNotFoundError, IndexError, UnicodeDecodeError):
        return "no valid checksum beside it"
    if sha256_file(path) != recorded.lower():
        return "checksum does not match"
    return None


def read_kept(path: Path, parse: Callable[[Path], tuple[Any, str | None]]) -> tuple[Any, str | None]:
    """A kept file read for `kept`: (None, None) when there is none yet, (None, reason) when it
    does not match its checksum sidecar, else what `parse(path)` finds in it ((value, None),
    or (None, reason) when its content does not fit)."""
    if not os.path.lexists(path):
        return None, None
    problem = sidecar_problem(path, checksum_path(path))
    return (None, problem) if problem else parse(path)


def checksum_path(path: Path) -> Path:
    """The sidecar holding a kept file's sha256 (`sha256sum -c` format)."""
    return path.with_name(path.name + ".sha256")


def keep_file(path: Path, write: Callable[[Path], object]) -> None:
    """Store a converted or exported file through `write(tmp)`, then its checksum (both atomically)."""
    atomic_write_via(path, write)
    atomic_write_text(checksum_path(path), f"{sha256_file(path)}  {path.name}\n")


def kept(path: Path, read: Callable[[Path], tuple[Any, str | None]], make: Callable[[], Any],
         store: Callable[[Path, Any], None], memory: dict[str, Any]) -> Any:
    """The value kept at `path` (converted weights, an exported graph), made once.

    `read(path)` gives (value, None) for a good file, (None, reason) for a corrupt one and
    (None, None) when there is none yet. A corrupt file is moved aside, `make()` builds the
    value again and `store(path, value)` writes it. When the cache folder cannot be read or
    written, the value made is kept in `memory` for the life of the process (one warning).
    The caller holds its own lock.
    """
    if str(path) in memory:
        return memory[str(path)]
    try:
        value, reason = read(path)
    except OSError as exc:  # the folder cannot be read: not a fault of the file
        warn_unwritable(exc)
        memory[str(path)] = value = make()
        return value
    if value is not None:
        return value
    if reason is not None:
        move_aside(path, reason)
    value = make()
    try:
        store(path, value)
    except OSError as exc:
        if not is_unwritable(exc):
            raise
        warn_unwritable(exc)
        memory[str(path)] = value
        return value
    drop_aside(path)
    return value


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


class Shelf:
    """One kind of artifact in the store.

    `read(path)` loads an entry whose checksums passed (raising `CorruptEntry` for a fault
    of the entry itself); `write(folder, artifact, extra)` writes one, `extra` holding the
    key, its parts and the library version for the entry's card.
    """

    def __init__(
        self,
        folder: str,
        required: tuple[str, ...],
        read: Callable[[Path], Any],
        write: Callable[[Path, Any, dict[str, Any]], None],
    ) -> None:
        self.folder = folder
        self.required = required
        self._read = read
        self._write = write

    def root(self) -> Path:
        return config.home() / self.folder

    _KEY = re.compile(r"[0-9a-f]{24}")

    @classmethod
    def is_own(cls, name: str) -> bool:
        """Is `name` one the shelf writes: a key, its aside copies, lock and temporary files?"""
        if name.startswith("."):
            inner = name[1:]
            for suffix in (".lock",):
                if inner.endswith(suffix) and cls._KEY.fullmatch(inner[: -len(suffix)]):
                    return True
            head = inner.split(".", 1)[0]
            return bool(cls._KEY.fullmatch(head)) and (inner.endswith(".tmp") or inner.endswith(".old"))
        key = name.split(ASIDE, 1)[0]
        return bool(cls._KEY.fullmatch(key))

    @staticmethod
    def key_of(key_parts: dict[str, Any]) -> str:
        """Stable hash of the key parts (canonical JSON; the library version is added)."""
        parts = {"library": __version__, **key_parts}
        blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    def path(self, key: str) -> Path:
        return self.root() / key

    def read(self, path: Path) -> Any:
        """The artifact at `path`; None if absent; `CorruptEntry` for a fault of the entry."""
        if not os.path.lexists(path):
            return None
        reason = check_entry(path, self.required)
        if reason is not None:
            raise CorruptEntry(reason)
        return self._read(Path(path))

    def lookup(self, key_parts: dict[str, Any]) -> Any:
        """The stored artifact for these key parts, or None (never builds; a corrupt one is moved aside)."""
        from chameleonapi.objectstore import configured

        key = self.key_of(key_parts)
        path = self.path(key)
        try:
            got = self.read(path)
        except CorruptEntry as exc:
            move_aside(path, str(exc))
            got = None
        shared = configured() if got is None else None
        return self.pull(key, shared) if shared is not None else got

    def put(self, key_parts: dict[str, Any], artifact: Any) -> Path:
        """Store `artifact` atomically under the key of `key_parts`; returns its folder."""
        key = self.key_of(key_parts)
        extra = {"key": key, "key_parts": key_parts, "library_version": __version__}
        written = write_entry(self.path(key), lambda tmp: self._write(tmp, artifact, extra))
        mark_owned(self.root())
        return written

    # ------------------------------------------------------------------ shared store
    def manifest_key(self, key: str) -> str:
        return f"{self.folder}/{key}.json"

    def pull(self, key: str, shared: ObjectStore) -> Any:
        """The entry published in the shared store for `key`, copied here and read; None if
        unpublished. A file that does not match its published checksum raises `CorruptObject`
        (nothing is written here: a damaged object is never served)."""
        from chameleonapi.objectstore import CorruptObject, get_verified

        data = shared.get(self.manifest_key(key))
        if data is None:
            return None
        try:
            files = json.loads(data)["files"]
            if not isinstance(files, dict) or SUMS not in files:
                raise ValueError("no file list")
        except (ValueError, KeyError, TypeError) as exc:
            raise CorruptObject(f"{shared.url}/{self.manifest_key(key)} is not a manifest ({exc})") from None
        blobs: dict[str, bytes] = {}
        for name, digest in files.items():
            if not isinstance(name, str) or "/" in name or name.startswith(".") or not isinstance(digest, str):
                raise CorruptObject(f"{shared.url}/{self.manifest_key(key)} names a bad file {name!r}")
            blob = get_verified(shared, f"blobs/{digest}", digest)
            if blob is None:
                raise CorruptObject(f"{shared.url}/blobs/{digest} ({name} of {key}) is missing")
            blobs[name] = blob
        path = self.path(key)

        def write(tmp: Path) -> None:
            for name, blob in blobs.items():
                (tmp / name).write_bytes(blob)

        atomic_write_dir(path, write)
        drop_aside(path)
        mark_owned(self.root())
        try:
            return self.read(path)
        except CorruptEntry as exc:
            move_aside(path, str(exc))
            raise CorruptObject(f"{shared.url}/{self.manifest_key(key)}: {exc}") from None

    def publish(self, key: str, shared: ObjectStore) -> bool:
        """Publish the local entry of `key`: its files by content, then the manifest, last and
        only if absent. False when another process published this key first."""
        path = self.path(key)
        files = {p.name: sha256_file(p) for p in sorted(path.iterdir())
                 if p.is_file() and not p.name.startswith(".")}
        for name, digest in files.items():
            if not shared.exists(f"blobs/{digest}"):
                shared.put(f"blobs/{digest}", (path / name).read_bytes())
        manifest = json.dumps({"key": key, "kind": self.folder, "files": files, "library_version": __version__,
                               "published": time.time()}, sort_keys=True, indent=1)
        return shared.create(self.manifest_key(key), manifest.encode())

    def _get_or_create_shared(self, shared: ObjectStore, key_parts: dict[str, Any], build: Callable[[], Any]) -> Any:
        from chameleonapi import leases

        key = self.key_of(key_parts)
        path = self.path(key)
        while True:
            try:
                got = self.read(path)
            except CorruptEntry as exc:
                move_aside(path, str(exc))
                got = None
            if got is None:
                got = self.pull(key, shared)
            if got is not None:
                return got
            try:
                lease = leases.take(shared, f"{self.folder}-{key}")
            except leases.TrainingElsewhere:
                if not leases.may_wait():
                    raise
                time.sleep(config.store_poll())
                continue
            with lease:
                got = self.pull(key, shared)  # published between our look and our lease?
                if got is not None:
                    return got
                built, kept = self._build_and_keep(key_parts, build)
                if not kept:  # served here, not published (nothing on disk to publish)
                    return built
                if self.publish(key, shared):
                    logger.info("published %s %s to %s", self.folder, key, shared.url)
                    return built
            # another process published first (our lease had expired): serve the fleet's entry
            got = self.pull(key, shared)
            return got if got is not None else built

    def lock(self, key: str):
        """The file lock of one key, acquired (`StoreUnwritable` when the folder refuses it;
        `LockTimeout` when another process holds it past `CHAMELEONAPI_LOCK_WAIT`)."""
        from chameleonapi.locks import FileLock

        try:
            self.root().mkdir(parents=True, exist_ok=True)
            mark_owned(self.root())
            lock = FileLock(self.root() / f".{key}.lock")
            lock.acquire()
        except OSError as exc:
            raise StoreUnwritable(exc.errno, f"cannot lock {self.root()}: {exc.strerror or exc}") from exc
        return lock

    def _build_and_keep(self, key_parts: dict[str, Any], build: Callable[[], Any]) -> tuple[Any, bool]:
        """(the artifact `build()` makes, whether it was stored): a store that cannot be
        written is said once and the artifact is still served."""
        built = build()
        try:
            self.put(key_parts, built)
        except OSError as exc:
            if not is_unwritable(exc):
                raise
            warn_unwritable(exc)
            return built, False
        return built, True

    def get_or_create(self, key_parts: dict[str, Any], build: Callable[[], Any], *, in_memory: bool = False) -> Any:
        """The stored artifact for `key_parts`; built by `build()` and stored if missing.

        Concurrent callers (threads or processes) with the same key build it once: the
        others wait on the key's file lock, then load what the first one stored. A corrupt
        entry is moved aside under the lock and rebuilt. When the cache folder refuses the
        lock, `StoreUnwritable` is raised before any build starts, or, with `in_memory`, the
        artifact is built and returned without being kept (one warning). With a shared store,
        the fleet builds it once (see the module's docstring).
        """
        from chameleonapi.objectstore import configured

        shared = configured()
        if shared is not None:
            return self._get_or_create_shared(shared, key_parts, build)
        key = self.key_of(key_parts)
        path = self.path(key)
        try:
            got = self.read(path)
        except CorruptEntry:
            got = None  # moved aside below, under the lock
        if got is not None:
            return got
        try:
            lock = self.lock(key)
        except StoreUnwritable as exc:
            if not in_memory:
                raise
            warn_unwritable(exc)
            return build()
        try:
            try:
                got = self.read(path)
            except CorruptEntry as exc:
                move_aside(path, str(exc))
                got = None
            if got is not None:
                return got
            return self._build_and_keep(key_parts, build)[0]  # served even when it cannot be kept
        finally:
            lock.release()
