"""Parse what can be parsed: a file the parser rejects loses only its broken top-level blocks.

A file written for a newer Python (`def first[T](...)` under 3.11) or with one broken
function still holds decisions in its other functions. The file is cut into top-level
blocks (a statement starting in column 0, with its decorators, `elif`/`else`/`except`
continuations and indented body); each is compiled on its own and the ones that fail are
blanked out line for line, so every other line keeps its number.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass

CONTINUATIONS = ("elif", "else", "except", "finally", "case")


@dataclass(frozen=True)
class Dropped:
    """A top-level block left out: where, why, and the name it defined (if any)."""

    line: int
    message: str
    name: str


def salvage(source: str, filename: str) -> tuple[str, list[Dropped]]:
    """`source` with the top-level blocks that do not compile blanked out, and those blocks."""
    lines = source.splitlines(keepends=True)
    blocks = _blocks(lines, _string_lines(source))
    out = list(lines)
    dropped: list[Dropped] = []
    for start, end in blocks:
        text = "".join(lines[start:end])
        try:
            compile(text, filename, "exec", dont_inherit=True, flags=1024)  # ast.PyCF_ONLY_AST
        except SyntaxError as exc:
            line = start + (exc.lineno or 1)
            dropped.append(Dropped(line, exc.msg or "invalid syntax", _name(lines[start:end])))
            for i in range(start, end):
                out[i] = "\n"
        except (ValueError, MemoryError, RecursionError) as exc:
            dropped.append(Dropped(start + 1, type(exc).__name__, _name(lines[start:end])))
            for i in range(start, end):
                out[i] = "\n"
    return "".join(out), dropped


def _string_lines(source: str) -> set[int]:
    """0-based lines inside a multi-line string (their column-0 text starts no block)."""
    inside: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0], tok.end[0]))  # lines after the first (0-based)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return inside


def _blocks(lines: list[str], strings: set[int]) -> list[tuple[int, int]]:
    starts: list[int] = []
    pending_decorator = False
    for i, line in enumerate(lines):
        if i in strings or not line.strip() or line[0] in " \t#)]}":
            continue
        word = line.split(None, 1)[0].rstrip(":")
        if word in CONTINUATIONS:
            continue
        if not pending_decorator:
            starts.append(i)
        pending_decorator = line.startswith("@")
    return [(s, e) for s, e in zip(starts, [*starts[1:], len(lines)])]


def _name(block: list[str]) -> str:
    for line in block:
        words = line.replace("(", " ").replace(":", " ").replace("[", " ").split()
        for keyword in ("def", "class"):
            if keyword in words[:2] and words.index(keyword) + 1 < len(words):
                return words[words.index(keyword) + 1]
        if words and not words[0].startswith("@"):
            return ""
    return ""


__all__ = ["Dropped", "salvage"]
