"""A registry of label models and one factory, `create_model`, in the manner of timm."""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib import import_module

_factories: dict[str, Callable[..., object]] = {}
_instances: dict[str, object] = {}  # by name/runtime/threads
_lock = threading.Lock()
# Modules that register models; imported on first use so `import chameleonapi` stays light.
_PROVIDERS = ("chameleonapi.model.generic", "chameleonapi.model.custom")


def register_model(name: str):
    def decorator(factory: Callable[..., object]):
        _factories[name] = factory
        return factory

    return decorator


def _load_registrations() -> None:
    for module in _PROVIDERS:
        try:
            import_module(module)
        except ImportError:
            continue


def list_models() -> list[str]:
    _load_registrations()
    return sorted(_factories)


def create_model(name: str, **kwargs: object):
    """Build a label model by name (`generic`, `custom`, ...)."""
    from chameleonapi.errors import require

    require("torch", "timm")  # a clear error naming the extra to install, not "unknown model"
    if name not in _factories:
        _load_registrations()
    try:
        factory = _factories[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(list_models())}") from None
    return factory(**kwargs)


def shared_model(name: str = "generic"):
    """One instance per process (and runtime and thread setting) of a parameterless model,
    built lazily and thread-safely (`chameleonapi.model.graphs.runtime()` picks the runtime)."""
    from chameleonapi.model.graphs import runtime, threads

    key = f"{name}/{runtime()}/{threads()}"
    with _lock:
        if key not in _instances:
            _instances[key] = create_model(name)
        return _instances[key]
