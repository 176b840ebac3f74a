"""Turn the regular expressions applications test labels with into label lists.

Only alternations of literal words are exact; word boundaries and unanchored `re.match`
are approximated by substring tests and reported as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LITERAL = re.compile(r"^[\w .'&/-]+$")


@dataclass(frozen=True)
class RegexLabels:
    labels: tuple[str, ...]
    match: str  # exact | substring (| their casefold forms)
    approximate: str | None = None  # why the translation is not exact


def translate(pattern: str, func: str, ignore_case: bool) -> RegexLabels | None:
    """Labels and match mode for `re.<func>(pattern, text)`; None if not a word list."""
    p = pattern
    if p.startswith("(?i)"):
        ignore_case, p = True, p[4:]
    start = p.startswith("^") or func in ("match", "fullmatch")
    end = p.endswith("$") and not p.endswith(r"\$") or func == "fullmatch"
    p = p.lstrip("^").rstrip("$")
    approx = None
    if r"\b" in p:
        p = p.replace(r"\b", "")
        approx = "word boundaries (\\b) are approximated by a substring test"
    while p.startswith("(") and p.endswith(")") and _balanced(p[1:-1]):
        p = p[1:-1]
        if p.startswith("?:"):
            p = p[2:]
    words = [w.replace("\\ ", " ").replace("\\-", "-").replace("\\.", ".") for w in p.split("|")]
    if not words or not all(w and _LITERAL.match(w) for w in words):
        return None
    if start and end:
        mode = "exact"
    else:
        mode = "substring"
        if start or end:
            approx = approx or "an anchored pattern is approximated by a substring test"
    if ignore_case:
        mode = "casefold" if mode == "exact" else "substring_casefold"
    return RegexLabels(tuple(words), mode, approx)


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0
