"""File locks between processes that never wait forever on a stuck or vanished holder.

A process building an artifact (features, a customized model) holds the lock file of its
key. Waiting is bounded (`CHAMELEONAPI_LOCK_WAIT`): past it `LockTimeout` is raised and the
caller serves the generic model. The holder touches the file every few seconds from a
thread (its heartbeat); a lock whose file has not been touched for `CHAMELEONAPI_LOCK_STALE`
seconds belongs to a stopped or hung process and is broken: its file is unlinked, so the
next process locks a fresh one. A holder that dies releases its `flock` with its file
descriptors, so a killed holder is never waited for at all. Writes under a lock are atomic
renames, so even a stopped holder that resumes after its lock was broken leaves a whole entry.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from pathlib import Path

from chameleonapi import config
from chameleonapi.errors import Error

__all__ = ["FileLock", "LockTimeout"]

logger = logging.getLogger("chameleonapi")

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: filelock's own locks, with the bounded wait
    fcntl = None  # type: ignore[assignment]


class LockTimeout(Error):
    """Another process held the lock for longer than the configured wait."""


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return "another process"
    return f"process {text[0]}" if text and text[0].isdigit() else "another process"


class FileLock:
    """An exclusive lock on `path`: `with FileLock(path): ...` or `acquire()` / `release()`.

    `wait` and `stale` (seconds) default to the `lock_wait` and `lock_stale` settings.
    """

    def __init__(self, path: str | os.PathLike, *, wait: float | None = None, stale: float | None = None) -> None:
        self.path = Path(path)
        self.wait = wait
        self.stale = stale
        self._fd: int | None = None
        self._fallback = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -------------------------------------------------------------- acquire / release
    def acquire(self) -> FileLock:
        wait = config.lock_wait() if self.wait is None else self.wait
        stale = config.lock_stale() if self.stale is None else self.stale
        if fcntl is None:  # pragma: no cover
            import filelock

            self._fallback = filelock.FileLock(str(self.path), timeout=wait)
            try:
                self._fallback.acquire()
            except filelock.Timeout:
                raise LockTimeout(self._timeout_message(wait)) from None
            return self
        deadline = time.monotonic() + wait
        delay = 0.01
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                info = os.fstat(fd)
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                if time.time() - info.st_mtime > stale:
                    self._break(info, stale)
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LockTimeout(self._timeout_message(wait)) from None
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 0.25)
                continue
            if not self._still_at_path(fd):  # broken (unlinked) between our open and flock
                os.close(fd)
                continue
            try:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
            except OSError:
                pass
            self._fd = fd
            self._start_heartbeat(stale)
            return self

    def release(self) -> None:
        if self._fallback is not None:  # pragma: no cover
            self._fallback.release()
            self._fallback = None
            return
        self._stop.set()
        if self._beat is not None:
            self._beat.join(5)
            self._beat = None
        if self._fd is not None:
            os.close(self._fd)  # releases the flock
            self._fd = None
        self._stop = threading.Event()

    # -------------------------------------------------------------- internals
    def _still_at_path(self, fd: int) -> bool:
        try:
            here, mine = os.stat(self.path), os.fstat(fd)
        except OSError:
            return False
        return (here.st_ino, here.st_dev) == (mine.st_ino, mine.st_dev)

    def _start_heartbeat(self, stale: float) -> None:
        interval = max(0.05, min(stale / 4, 10.0))
        fd, stop = self._fd, self._stop

        def beat() -> None:
            if fd is None:
                return
            while not stop.wait(interval):
                try:
                    os.utime(fd)
                except (OSError, TypeError, NotImplementedError):
                    return

        self._beat = threading.Thread(target=beat, daemon=True, name="chameleonapi-lock-heartbeat")
        self._beat.start()

    def _break(self, seen: os.stat_result, stale: float) -> None:
        """Unlink the lock file of a holder that stopped beating (only the very file seen)."""
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            return
        if (now.st_ino, now.st_dev) != (seen.st_ino, seen.st_dev) or time.time() - now.st_mtime <= stale:
            return  # someone else broke it, or the holder beat in between
        holder = _holder(self.path)
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            return
        logger.warning("broke the lock %s: %s held it without a heartbeat for over %g s",
                       self.path.name, holder, stale)

    def _timeout_message(self, wait: float) -> str:
        return (f"{_holder(self.path)} has held the lock {self.path.name} for over {wait:g} s "
                "(CHAMELEONAPI_LOCK_WAIT); not waiting longer")
