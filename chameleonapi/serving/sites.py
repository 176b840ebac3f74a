"""One engine per call site, each resolved once, without blocking the other sites."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["SiteEngines"]


class _Pending:
    """One call site's first resolution; concurrent first calls from that site wait on it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.owner = threading.get_ident()
        self.engine: Any = None
        self.error: BaseException | None = None


class SiteEngines:
    """Engines per call site, resolved once each without blocking other sites.

    The table's lock is held only to read or register an entry, never while a site is
    analysed or its model trained: calls from sites already served go straight to their
    engine, concurrent first calls from one site wait for a single resolution, and first
    calls from different sites resolve side by side.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engines: dict[Any, Any] = {}
        self._pending: dict[Any, _Pending] = {}

    def get(self, site: Any, resolve: Callable[[], Any], fallback: Callable[[], Any]) -> Any:
        engine = self._engines.get(site)
        if engine is not None:
            return engine
        with self._lock:
            engine = self._engines.get(site)
            if engine is not None:
                return engine
            pending = self._pending.get(site)
            owner = pending is None
            if owner:
                pending = self._pending[site] = _Pending()
        assert pending is not None
        if not owner:
            if pending.owner == threading.get_ident():
                return fallback()  # re-entered from the resolution itself
            pending.done.wait()
            if pending.error is not None:
                raise pending.error
            return pending.engine
        try:
            pending.engine = resolve()
        except BaseException as exc:
            pending.error = exc
            raise
        finally:
            with self._lock:
                if self._pending.get(site) is pending:
                    del self._pending[site]
                    if pending.error is None:
                        self._engines[site] = pending.engine
            pending.done.set()
        return pending.engine

    def peek(self, site: Any) -> Any:
        """The engine already resolved for `site`, or None."""
        return self._engines.get(site)

    def clear(self) -> None:
        with self._lock:
            self._engines.clear()
            self._pending.clear()
