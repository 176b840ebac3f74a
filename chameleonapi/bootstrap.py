"""Imported at interpreter start by `chameleonapi-bootstrap.pth` when CHAMELEONAPI is set.

Keep it tiny: it registers post-import hooks only; no SDK, torch or astroid is imported.
"""

from __future__ import annotations

import logging

try:
    import chameleonapi

    chameleonapi.enable()
except Exception as exc:  # never break interpreter start-up
    logging.getLogger("chameleonapi").warning("chameleonapi: could not enable at start-up: %s", exc)
