"""The `chameleonapi` logger, readable whether or not the application configured logging.

Messages carry no "chameleonapi:" prefix of their own. When the application has set up
logging, its handlers format them (with `%(name)s` if it likes); when it has not, this
fallback prints warnings as `chameleonapi: <message>` on stderr instead of Python's bare
last-resort output.
"""

from __future__ import annotations

import logging
import sys

__all__ = ["install_fallback", "logger"]

logger = logging.getLogger("chameleonapi")


class _Fallback(logging.Handler):
    """Prints only while the root logger has no handler (the application configured none)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(logging.Formatter("chameleonapi: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if logging.getLogger().handlers or sys.stderr is None:
            return
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


def install_fallback() -> None:
    """Idempotent: add the fallback handler to the `chameleonapi` logger once."""
    if not any(isinstance(h, _Fallback) for h in logger.handlers):
        logger.addHandler(_Fallback())
