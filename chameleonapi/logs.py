"""The `chameleonapi` logger, readable whether or not the application configured logging.

Messages carry no "chameleonapi:" prefix of their own. When the application has set up
logging, its handlers format them (with `%(name)s` if it likes); when it has not, this
fallback prints warnings as `chameleonapi: <message>` on stderr instead of Python's bare
last-resort output.
"""

from __future__ import annotations

import logging
import sys

__all__ = ["MAX_LINE", "install_fallback", "logger", "names_shown", "shown"]

logger = logging.getLogger("chameleonapi")
MAX_LINE = 2000  # characters of one logged message


class _OneLine(logging.Filter):
    """Every message of the `chameleonapi` logger is one line: text from the user's data or
    code (a folder named "x\r\nchameleonapi: ...") can never forge a line of its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # pragma: no cover - a bad format string: let logging report it
            return True
        clean = shown(text, MAX_LINE)
        if clean != text:
            record.msg, record.args = clean, None
        return True


if not any(isinstance(f, _OneLine) for f in logger.filters):
    logger.addFilter(_OneLine())


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


def shown(text: object, limit: int = 80) -> str:
    """A name as it may appear in a log line: control characters escaped (a name holding
    "\\r\\n" cannot forge a line) and at most `limit` characters, with what was cut counted."""
    value = str(text)
    cut = len(value) - limit if len(value) > limit else 0
    if cut:
        value = value[:limit]
    escaped = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value)
    return f"{escaped}...(+{cut} chars)" if cut else escaped


def names_shown(names: list[str] | tuple[str, ...], most: int = 10) -> str:
    """Names joined for a log line, each `shown()`, at most `most` of them (the rest counted)."""
    listed = ", ".join(shown(n) for n in list(names)[:most])
    return listed + (f" and {len(names) - most} more" if len(names) > most else "")
