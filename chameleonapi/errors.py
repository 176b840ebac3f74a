"""Errors the application may see from chameleonapi itself (never from a model or the cache)."""

from __future__ import annotations

__all__ = ["SettingsError"]


class SettingsError(ValueError):
    """A `CHAMELEONAPI_*` setting has a value the library cannot use.

    A mistake in the settings is reported as such; it is never taken for a damaged cache
    entry, so no stored model is moved or rebuilt because of it.
    """


SettingsError.__module__ = "chameleonapi"  # shown as `chameleonapi.SettingsError`, where users import it
