"""Instrumentor: one per SDK, `instrument()` / `uninstrument()`, in the OpenTelemetry manner.

Patches are class-level wrapt wrappers registered with post-import hooks, so clients created
before `enable()` are covered and an SDK imported after `enable()` is patched on import.
Post-import hooks cannot be unregistered; each hook checks the `active` flag instead.
"""

from __future__ import annotations

import importlib.metadata
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("chameleonapi")


@dataclass(frozen=True)
class Patch:
    """Replace `module:qualname` (a class attribute) with `wrapper` while instrumented."""

    module: str
    qualname: str
    wrapper: Callable[..., Any]


class Instrumentor:
    """Base class: subclasses declare `name`, `distribution`, `supported` and `patches()`."""

    name: str = ""
    distribution: str = ""
    supported: tuple[str, str] = ("0", "999")  # [min, max) of the distribution version

    def __init__(self) -> None:
        self.active = False
        self._lock = threading.RLock()
        self._originals: dict[tuple[str, str], tuple[object, str, object]] = {}
        self._hooked: set[str] = set()
        self._patch_list: list[Patch] | None = None

    # -------------------------------------------------------------- to override
    def patches(self) -> list[Patch]:
        raise NotImplementedError

    def patch_list(self) -> list[Patch]:
        if self._patch_list is None:
            self._patch_list = self.patches()
        return self._patch_list

    # -------------------------------------------------------------- public API
    def installed_version(self) -> str | None:
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return None

    def is_supported_version(self) -> bool:
        version = self.installed_version()
        if version is None:
            return True  # not installed: hooks wait for an import that may never come
        parsed = _version_tuple(version)
        low, high = (_version_tuple(v) for v in self.supported)
        return low <= parsed < high

    def instrument(self) -> None:
        with self._lock:
            if self.active:
                return
            if not self.is_supported_version():
                logger.warning(
                    "%s %s is outside the supported range %s..%s; not patched",
                    self.distribution, self.installed_version(), *self.supported,
                )
                return
            self.active = True
            import wrapt

            for module in sorted({p.module for p in self.patch_list()}):
                if module in self._hooked:
                    if module in sys.modules:
                        self._apply(sys.modules[module])
                    continue
                self._hooked.add(module)
                wrapt.register_post_import_hook(self._apply, module)

    def uninstrument(self) -> None:
        """Put every original function back (the very same objects)."""
        with self._lock:
            self.active = False
            for (module, qualname), (owner, attr, original) in list(self._originals.items()):
                setattr(owner, attr, original)
                del self._originals[(module, qualname)]

    def is_patched(self, module: str, qualname: str) -> bool:
        return (module, qualname) in self._originals

    # -------------------------------------------------------------- internals
    def _apply(self, module_obj) -> None:
        import wrapt

        with self._lock:
            if not self.active:
                return
            name = module_obj.__name__
            for patch in self.patch_list():
                if patch.module != name or (name, patch.qualname) in self._originals:
                    continue
                owner_path, _, attr = patch.qualname.rpartition(".")
                owner: Any = module_obj
                for part in owner_path.split(".") if owner_path else []:
                    owner = getattr(owner, part)
                original = vars(owner)[attr] if isinstance(owner, type) else getattr(owner, attr)
                self._originals[(name, patch.qualname)] = (owner, attr, original)
                wrapt.wrap_function_wrapper(owner, attr, patch.wrapper)


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)
