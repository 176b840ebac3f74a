"""Start-up hook used by `chameleonapi run` when the package's .pth file is not installed."""

import os

if os.environ.get("CHAMELEONAPI", "").strip().lower() not in ("", "0", "false", "no", "off"):
    import chameleonapi.bootstrap  # noqa: F401
