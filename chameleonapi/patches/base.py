"""Instrumentor: one per switch, `instrument()` / `uninstrument()`, in the OpenTelemetry manner.

An instrumentor patches the services of its descriptors (one, or several sharing a switch
such as both Azure SDKs). Patches are class-level wrapt wrappers registered with post-import
hooks, so clients created before `enable()` are covered and an SDK imported after
`enable()` is patched on import. Post-import hooks cannot be unregistered; each hook checks
the `active` flag instead. A service whose SDK version is outside its supported range is
left unpatched, and says so once.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chameleonapi.services.descriptor import ProviderDescriptor

__all__ = ["Instrumentor", "Patch", "bind_call", "installed_version", "is_supported"]

logger = logging.getLogger("chameleonapi")


@dataclass(frozen=True)
class Patch:
    """Replace `module:qualname` (a class attribute) with `wrapper` while instrumented."""

    module: str
    qualname: str
    wrapper: Callable[..., Any]


def installed_version(distribution: str) -> str | None:
    """The installed version of a PyPI distribution, or None when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def is_supported(descriptor: ProviderDescriptor) -> bool:
    """Whether the SDK is installed in a supported version (an SDK that is not installed can
    never be imported, so there is nothing to patch)."""
    version = installed_version(descriptor.distribution)
    if version is None:
        return False
    low, high = (_version_tuple(v) for v in descriptor.supported)
    return low <= _version_tuple(version) < high


class Instrumentor:
    """Patches the services of one switch while active; `uninstrument()` restores the originals."""

    def __init__(
        self, name: str, descriptors: Sequence[ProviderDescriptor], patches_of: Callable[[str], list[Patch]]
    ) -> None:
        self.name = name
        self.descriptors = tuple(descriptors)
        self._patches_of = patches_of
        self.active = False
        self._lock = threading.RLock()
        self._originals: dict[tuple[str, str], tuple[object, str, object]] = {}
        self._hooked: set[str] = set()
        self._patches: dict[str, list[Patch]] = {}
        self._served: tuple[ProviderDescriptor, ...] = ()

    # -------------------------------------------------------------- public API
    def patches_of(self, descriptor: ProviderDescriptor) -> list[Patch]:
        """The patch points of one service."""
        if descriptor.name not in self._patches:
            self._patches[descriptor.name] = list(self._patches_of(descriptor.name))
        return self._patches[descriptor.name]

    def patch_list(self) -> list[Patch]:
        """Every patch of the services this instrumentor serves (all of them before `instrument()`)."""
        served = self._served if self.active else self.descriptors
        return [patch for descriptor in served for patch in self.patches_of(descriptor)]

    def instrument(self) -> bool:
        """Patch the services whose SDK is installed in a supported version; whether any is."""
        with self._lock:
            if self.active:
                return True
            served = []
            for descriptor in self.descriptors:
                if is_supported(descriptor):
                    served.append(descriptor)
                elif installed_version(descriptor.distribution) is not None:
                    logger.warning(
                        "%s %s is outside the supported range %s..%s; %s is not patched",
                        descriptor.distribution, installed_version(descriptor.distribution),
                        *descriptor.supported, descriptor.name,
                    )
            if not served:
                return False
            import wrapt

            self._served = tuple(served)
            self.active = True
            for module in sorted({p.module for p in self.patch_list()}):
                if module in self._hooked:
                    if module in sys.modules:
                        self._apply(sys.modules[module])
                    continue
                self._hooked.add(module)
                wrapt.register_post_import_hook(self._apply, module)
            return True

    def installed(self) -> bool:
        """Whether the SDK of any of its services is installed (in whatever version)."""
        return any(installed_version(d.distribution) is not None for d in self.descriptors)

    def uninstrument(self) -> None:
        """Put every original function back (the very same objects)."""
        with self._lock:
            self.active = False
            self._served = ()
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


class _Binder:
    """`inspect.Signature.bind` + `apply_defaults` for a function of plain, keyword-only and
    `**kwargs` parameters, done with its parameter table made once. A call that names every
    parameter once and gives each required one is bound directly; any other (and any function
    with positional-only or `*args` parameters) goes through `Signature.bind`, which raises the
    TypeError Python would."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.signature = inspect.signature(function)
        parameters = list(self.signature.parameters.values())
        kinds = {p.kind for p in parameters}
        self.direct = not kinds & {inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.VAR_POSITIONAL}
        self.order = tuple(p.name for p in parameters)
        self.plain = tuple(p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD)
        self.named = frozenset(p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        self.rest = next((p.name for p in parameters if p.kind is p.VAR_KEYWORD), None)
        self.defaults = {p.name: p.default for p in parameters if p.default is not p.empty}
        self.required = tuple(n for n in self.named if n not in self.defaults)

    def bind(self, args: tuple, kwargs: dict) -> dict[str, Any]:
        if self.direct and len(args) <= len(self.plain):
            given = dict(zip(self.plain, args))
            extra = {}
            for key, value in kwargs.items():
                if key in given:
                    break  # given twice
                if key in self.named:
                    given[key] = value
                elif self.rest is not None:
                    extra[key] = value
                else:
                    break
            else:
                if all(name in given for name in self.required):
                    return {name: extra if name == self.rest else given[name] if name in given
                            else self.defaults[name] for name in self.order}
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)


_binders: dict[Any, _Binder] = {}


def bind_call(function: Callable[..., Any], args: tuple, kwargs: dict) -> dict[str, Any]:
    """The arguments of a call of `function` by parameter name, defaults filled in, as the
    function will see them; a call it would refuse raises its TypeError. The parameter table
    is made once per function (a wrapper is handed a new bound method on every call)."""
    key = getattr(function, "__func__", function)
    binder = _binders.get(key)
    if binder is None:
        binder = _binders[key] = _Binder(function)
    return binder.bind(args, kwargs)


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)
