"""Plain-text tables for the command line: every cell shown in full, columns aligned."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chameleonapi.spec import SourceLocation

__all__ = ["render_table", "short_path", "short_site"]


def short_path(path: str | os.PathLike | None) -> str:
    """`path` relative to the working directory when it lies inside it, else unchanged."""
    if path is None:
        return "-"
    text = os.fspath(path)
    try:
        relative = os.path.relpath(text)
    except ValueError:  # another drive (Windows)
        return text
    return relative if not relative.startswith("..") else text


def short_site(location: SourceLocation | None) -> str:
    """`file:line` of a call site, the file shortened; "-" for none (a spec written by hand)."""
    return "-" if location is None else f"{short_path(location.file)}:{location.line}"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[int] = ()) -> str:
    """Columns as wide as their widest cell (nothing is cut); `right` lists right-aligned columns."""
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
