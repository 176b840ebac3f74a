"""Answer at once for code that never calls a vision SDK, before anything is parsed.

The runtime analyses the calling module inside the application's process, and `analyze`
is pointed at whole folders: most files never call a vision API. A text search for the SDK
methods (in the file and in the sibling modules it imports) costs milliseconds; parsing
with astroid costs far more, so only files that pass are parsed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from chameleonapi.analysis.sdk import METHODS

_CALL = re.compile(r"\.\s*(" + "|".join(sorted(map(re.escape, METHODS))) + r")\s*\(")
_SDK_IMPORT = re.compile(
    r"google\.cloud(?:\.|\s+import\s+)vision|azure\.cognitiveservices\.vision|azure\.ai\.vision|rekognition"
)
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+([\w., \t()*]+)|import[ \t]+([\w., \t]+))", re.M
)
MAX_FILES = 16  # application modules followed from one file
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))
# (path, mtime, size) -> (calls an SDK method, modules it imports): each file is read once
_SEEN: dict[tuple[str, int, int], tuple[bool, list[tuple[Path | None, str]]]] = {}


def calls_sdk_text(source: str) -> bool:
    """Does this source text import a vision SDK or call one of the recognized SDK methods?"""
    return _CALL.search(source) is not None or _SDK_IMPORT.search(source) is not None


def may_call_sdk(path: Path, read) -> bool:
    """The file, or an application module it imports (found next to it), calls an SDK method.

    `read(path) -> str | None` reads a file's text; imports that are not files of the
    application (the standard library, site-packages) are never opened.
    """
    roots = _roots(path)
    seen: set[Path] = set()
    pending = [path]
    while pending and len(seen) < MAX_FILES:
        file = pending.pop()
        if file in seen:
            continue
        seen.add(file)
        try:
            stat = file.stat()
        except OSError:
            continue
        key = (str(file), stat.st_mtime_ns, stat.st_size)
        if key not in _SEEN:
            text = read(file)
            if text is None:
                continue
            if len(_SEEN) > 4096:
                _SEEN.clear()
            _SEEN[key] = (calls_sdk_text(text), _imported(text, file))
        found, imports = _SEEN[key]
        if found:
            return True
        for folder, module in imports:
            if folder is None and module.split(".")[0] in _STDLIB:
                continue  # the standard library is not the application
            for root in [folder] if folder is not None else roots:
                for candidate in _candidates(root, module):
                    if candidate not in seen and candidate.is_file():
                        pending.append(candidate)
    return False


def _roots(path: Path) -> list[Path]:
    root = path.parent
    while (root / "__init__.py").exists() and root.parent != root:
        root = root.parent
    return [path.parent, root] if root != path.parent else [root]


def _imported(text: str, file: Path) -> list[tuple[Path | None, str]]:
    """(folder, dotted name) of each module a file imports; the folder is set for relative
    imports, None for absolute ones (looked up in the application's roots)."""
    out: list[tuple[Path | None, str]] = []
    for match in _IMPORT.finditer(text):
        base, names, plain = match.groups()
        if plain is not None:
            out.extend((None, n.split(" as ")[0].strip()) for n in plain.split(","))
            continue
        dots = len(base) - len(base.lstrip("."))
        base = base.lstrip(".")
        folder = None
        if dots:
            folder = file.parent
            for _ in range(dots - 1):
                folder = folder.parent
        if base:
            out.append((folder, base))
        for name in names.replace("(", " ").replace(")", " ").split(","):
            name = name.split(" as ")[0].strip()
            if name and name != "*":
                out.append((folder, f"{base}.{name}" if base else name))
    return out


def _candidates(root: Path, module: str) -> list[Path]:
    parts = [p for p in module.split(".") if p]
    if not parts:
        return []
    rel = Path(*parts)
    return [root / rel.with_suffix(".py"), root / rel / "__init__.py"]


__all__ = ["calls_sdk_text", "may_call_sdk"]
