"""One trainer per fleet: a lease object in the shared store, with an expiry and a heartbeat.

A lease on `<name>` is a sequence of generation objects `leases/<name>/<n>` (n zero-padded),
each created exactly once with a conditional write, so taking a lease over is as atomic as
taking it first: of the processes that see generation n expired (or released), exactly one
creates n+1. The holder rewrites its own generation with a later expiry from a thread (the
heartbeat, every quarter of `CHAMELEONAPI_LEASE`); a holder killed with `kill -9` stops
beating and loses the lease when it expires. Nothing waits here: `take()` answers at once,
and a process that does not get the lease serves the generic model and polls for the model
(`waiting()` marks the threads that may poll instead of giving up).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator

from chameleonapi import config
from chameleonapi.errors import Error
from chameleonapi.objectstore import ObjectStore

__all__ = ["Lease", "TrainingElsewhere", "current", "may_wait", "take", "waiting"]

logger = logging.getLogger("chameleonapi")
_local = threading.local()


class TrainingElsewhere(Error):
    """Another process holds the lease: its model will appear in the shared store."""

    def __init__(self, holder: str, expires_in: float) -> None:
        super().__init__(f"{holder} is training it (lease for {max(expires_in, 0):.0f} s more)")
        self.holder = holder


@contextlib.contextmanager
def waiting() -> Iterator[None]:
    """Within this block (a background thread), wait for a model trained elsewhere."""
    before = getattr(_local, "wait", False)
    _local.wait = True
    try:
        yield
    finally:
        _local.wait = before


def may_wait() -> bool:
    return getattr(_local, "wait", False)


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _generations(store: ObjectStore, name: str) -> list[int]:
    found = []
    for key in store.list(f"leases/{name}/"):
        tail = key.rsplit("/", 1)[-1]
        if tail.isdigit():
            found.append(int(tail))
    return sorted(found)


def _key(name: str, generation: int) -> str:
    return f"leases/{name}/{generation:08d}"


def _read(store: ObjectStore, name: str, generation: int) -> dict | None:
    data = store.get(_key(name, generation))
    if data is None:
        return None
    try:
        record = json.loads(data)
    except ValueError:
        return {"holder": "unknown", "expires": 0.0}  # unreadable: taken for expired
    return record if isinstance(record, dict) else {"holder": "unknown", "expires": 0.0}


def current(store: ObjectStore, name: str) -> tuple[int, dict | None]:
    """The latest generation of the lease on `name` and its record (-1, None: never taken)."""
    generations = _generations(store, name)
    if not generations:
        return -1, None
    latest = generations[-1]
    return latest, _read(store, name, latest)


class Lease:
    """A lease held by this process; `release()` ends it (others may then take it at once)."""

    def __init__(self, store: ObjectStore, name: str, generation: int, duration: float) -> None:
        self.store = store
        self.name = name
        self.generation = generation
        self.duration = duration
        self.holder = _me()
        self._stop = threading.Event()
        self.lost = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, daemon=True, name="chameleonapi-lease-heartbeat")

    def _record(self, expires: float) -> bytes:
        return json.dumps({"holder": self.holder, "expires": expires, "generation": self.generation,
                           "beat": time.time()}).encode()

    def _heartbeat(self) -> None:
        interval = max(0.05, self.duration / 4)
        while not self._stop.wait(interval):
            try:
                if _generations(self.store, self.name)[-1:] != [self.generation]:
                    self.lost.set()  # taken over after we stopped beating: another process trains
                    logger.warning("lost the training lease on %s to another process", self.name)
                    return
                self.store.put(_key(self.name, self.generation), self._record(time.time() + self.duration))
            except Exception:  # a store hiccup: try again at the next beat; expiry bounds the harm
                continue

    def start(self) -> Lease:
        self._beat.start()
        return self

    def release(self) -> None:
        self._stop.set()
        if self._beat.is_alive():
            self._beat.join(5)
        if self.lost.is_set():
            return
        with contextlib.suppress(Exception):
            self.store.put(_key(self.name, self.generation), self._record(0.0))

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def take(store: ObjectStore, name: str, *, duration: float | None = None) -> Lease:
    """Take the lease on `name` now, or raise `TrainingElsewhere` (never waits)."""
    duration = config.lease_seconds() if duration is None else duration
    generation, record = current(store, name)
    now = time.time()
    if record is not None:
        expires = float(record.get("expires", 0) or 0)
        if expires > now:
            raise TrainingElsewhere(str(record.get("holder", "another process")), expires - now)
        if generation >= 0 and expires > 0:
            logger.warning("the training lease on %s held by %s expired; taking it over", name, record.get("holder"))
    lease = Lease(store, name, generation + 1, duration)
    if not store.create(_key(name, lease.generation), lease._record(now + duration)):
        latest, record = current(store, name)
        holder = str((record or {}).get("holder", "another process"))
        raise TrainingElsewhere(holder, float((record or {}).get("expires", now)) - now)
    return lease.start()
