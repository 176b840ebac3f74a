"""chameleonapi: cloud vision APIs customized to the application that calls them.

`import chameleonapi; chameleonapi.enable()` makes the official SDK clients (Google Cloud
Vision, Azure Computer Vision, Azure Image Analysis) answer from a local model that is
customized to the calling application's decisions. Importing this package is cheap: torch,
timm and astroid load only on the first intercepted call.
"""

from chameleonapi._version import __version__
from chameleonapi.errors import SettingsError
from chameleonapi.switch import disable, enable, enabled, is_enabled

__all__ = ["SettingsError", "__version__", "disable", "enable", "enabled", "is_enabled"]
