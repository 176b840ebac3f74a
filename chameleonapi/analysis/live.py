"""Plain values of the running application, read without running any of its code.

The analysis runs at the application's first call, inside its process: the calling frame
holds the module's globals and the function's locals. A name the static reading cannot
resolve (a list loaded from a JSON file at import, an attribute set at start-up) is read
from there, but only as plain data: exact `list`/`tuple`/`set`/`frozenset`/`dict` of
`str`/`int`/`float`/`bool` (nested a few levels). Attributes are looked up with
`inspect.getattr_static`, which never calls a property, a descriptor or `__getattr__`;
a class that defines its own `__dict__` is not read at all. Nothing here imports astroid.
"""

from __future__ import annotations

import types
from typing import Any

from chameleonapi.errors import Error

__all__ = ["MISSING", "LiveScope", "plain"]

MISSING = object()
SCALARS = (str, int, float, bool)
CONTAINERS = (list, tuple, set, frozenset, dict)
MAX_ITEMS = 10_000
MAX_DEPTH = 4
_GETSET = type(type.__dict__["__dict__"])
_MRO = type.__dict__["__mro__"].__get__
_CLASS_DICT = type.__dict__["__dict__"].__get__


class NotPlain(Error):
    """The value is not plain data (or too large to take)."""


def plain(value: Any, depth: int = 0, budget: list[int] | None = None) -> Any:
    """A copy of `value` if it is plain data, else `NotPlain`. Only exact types count (a
    subclass could run code when iterated); `type()` reads no user attribute."""
    budget = budget if budget is not None else [MAX_ITEMS]
    kind = type(value)
    if value is None or kind in SCALARS:
        return value
    if kind not in CONTAINERS or depth >= MAX_DEPTH:
        raise NotPlain(kind.__name__)
    budget[0] -= len(value)
    if budget[0] < 0:
        raise NotPlain("too large")
    if kind is dict:
        out = {}
        for key, item in dict.items(value):
            if type(key) not in SCALARS:
                raise NotPlain("dict key")
            out[key] = plain(item, depth + 1, budget)
        return out
    items = [plain(item, depth + 1, budget) for item in value]
    return kind(items)


def _static_attr(obj: Any, attr: str) -> Any:
    """`obj.attr` without running code of the application, or MISSING."""
    kind = type(obj)
    if kind is not types.ModuleType and not issubclass(kind, type):
        for klass in _MRO(kind):  # a class-defined `__dict__` would run when the instance is read
            entry = _CLASS_DICT(klass).get("__dict__")
            if entry is not None and type(entry) is not _GETSET:
                return MISSING
    import inspect  # only when a name is looked up: serving imports this module on every first call

    try:
        return inspect.getattr_static(obj, attr, MISSING)
    except Exception:
        return MISSING


class LiveScope:
    """The calling frame's globals (and its function's locals), readable until released.

    `value("CONFIG")`, `value("settings.labels")` return plain data or MISSING. The frame is
    dropped at `release()` (after the first analysis), so it is not kept alive.
    """

    def __init__(self, frame: Any) -> None:
        self._frame = frame
        self.file = frame.f_code.co_filename
        self.function = frame.f_code.co_name
        self.line = frame.f_lineno

    def release(self) -> None:
        self._frame = None

    @property
    def active(self) -> bool:
        return self._frame is not None

    def value(self, dotted: str, local: bool = False) -> Any:
        frame = self._frame
        if frame is None:
            return MISSING
        try:
            scope = frame.f_locals if local else frame.f_globals
        except Exception:
            return MISSING
        if type(scope) is not dict:
            return MISSING
        head, *rest = dotted.split(".")
        obj = dict.get(scope, head, MISSING)
        for attr in rest:
            if obj is MISSING:
                return MISSING
            obj = _static_attr(obj, attr)
        if obj is MISSING:
            return MISSING
        try:
            return plain(obj)
        except (NotPlain, RecursionError):
            return MISSING
