"""chameleonapi: cloud vision APIs customized to the application that calls them.

`import chameleonapi; chameleonapi.enable()` makes the official SDK clients (Google Cloud
Vision, Azure Computer Vision, Azure Image Analysis) answer from a local model that is
customized to the calling application's decisions; `chameleonapi.Error` is the root of every
error the library itself raises. Importing this package is cheap: the
switch loads on first use, torch, timm and astroid on the first intercepted call.
"""

from __future__ import annotations

from chameleonapi._version import __version__

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing would double the start-up cost
if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.errors import Error, SettingsError
    from chameleonapi.switch import disable, enable, enabled, is_enabled

__all__ = ["Error", "SettingsError", "__version__", "disable", "enable", "enabled", "is_enabled"]
_SWITCH = {"disable", "enable", "enabled", "is_enabled"}


def __getattr__(name: str):
    if name in ("Error", "SettingsError"):
        from chameleonapi import errors

        return getattr(errors, name)
    if name in _SWITCH:
        from chameleonapi import switch

        return getattr(switch, name)
    raise AttributeError(f"module 'chameleonapi' has no attribute {name!r}")
