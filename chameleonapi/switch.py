"""The public switch: enable(), disable(), is_enabled(), enabled()."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator

from chameleonapi import config
from chameleonapi.config import provider_enabled
from chameleonapi.logs import install_fallback

logger = logging.getLogger("chameleonapi")
install_fallback()
_lock = threading.RLock()
_active: list[str] = []
_told: set[str] = set()  # switches already reported as having no SDK to patch


def _resolve(providers: Iterable[str] | None) -> list[str]:
    """Keyword beats environment beats default (every available provider)."""
    from chameleonapi.patches import PROVIDERS, available

    if providers is not None:
        names = [providers] if isinstance(providers, str) else list(providers)
        unknown = [n for n in names if n not in PROVIDERS]
        if unknown:
            raise ValueError(f"unknown provider(s) {unknown}; known: {', '.join(PROVIDERS)}")
        return names
    return [name for name in available() if provider_enabled(name)]


def check_settings() -> None:
    """Every setting parsed once, with its bounds; raise `SettingsError` naming the first
    unusable one (nothing is patched). After start-up found a bad one (`CHAMELEONAPI=1`),
    its default stands in and only the generic model is served."""
    config.validate(strict=not config.generic_only())


def enable(providers: Iterable[str] | str | None = None) -> list[str]:
    """Serve the listed SDKs (default: all, less those switched off by env) locally.

    Idempotent and thread-safe; returns the providers now active: those whose SDK is
    installed in a supported version (the others are not patched, and the log says so once).
    An unusable setting raises `SettingsError` before anything is patched.
    """
    from chameleonapi.patches import get_instrumentor
    from chameleonapi.runtime import hook_executors

    check_settings()
    with _lock:
        wanted = _resolve(providers)
        for name in wanted:
            if name in _active:
                continue
            instrumentor = get_instrumentor(name)
            if instrumentor.instrument():
                _active.append(name)
            elif providers is not None and not instrumentor.installed():
                _tell(name, f"{name}: {_distributions([name])} not installed; nothing is patched")
        if wanted and providers is None and not any(get_instrumentor(name).installed() for name in wanted):
            _tell("", f"no vision SDK is installed ({_distributions(wanted)}); nothing is patched")
        if _active:
            hook_executors()
        return list(_active)


def _distributions(switches: list[str]) -> str:
    from chameleonapi.patches import get_instrumentor

    return ", ".join(d.distribution for name in switches for d in get_instrumentor(name).descriptors)


def _tell(key: str, message: str) -> None:
    """Say `message` once per process (an application may call `enable()` per request)."""
    if key not in _told:
        _told.add(key)
        logger.warning("%s", message)


def disable() -> None:
    """Restore every patched SDK function; idempotent."""
    from chameleonapi.patches import get_instrumentor
    from chameleonapi.runtime import unhook_executors

    with _lock:
        while _active:
            get_instrumentor(_active.pop()).uninstrument()
        unhook_executors()
        config.forget_validation()


def is_enabled(provider: str | None = None) -> bool:
    """Whether `provider` (default: any) is patched now; never true when no SDK is installed."""
    with _lock:
        return bool(_active) if provider is None else provider in _active


@contextlib.contextmanager
def enabled(providers: Iterable[str] | str | None = None) -> Iterator[list[str]]:
    """Context manager: enable on entry, restore the previous state on exit."""
    with _lock:
        before = list(_active)
    active = enable(providers)
    try:
        yield active
    finally:
        from chameleonapi.patches import get_instrumentor

        with _lock:
            for name in [n for n in _active if n not in before]:
                get_instrumentor(name).uninstrument()
                _active.remove(name)
            if not _active:
                from chameleonapi.runtime import unhook_executors

                unhook_executors()
                config.forget_validation()
