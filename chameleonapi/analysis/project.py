"""The application's modules, parsed once, with its own imports resolved inside it.

Imports are resolved against the application's files only (never `sys.path`), so the
analysis never reads, let alone runs, code outside the application.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import astroid
from astroid import nodes

from chameleonapi.analysis.budget import Deadline, read_capped
from chameleonapi.analysis.live import LiveScope

SKIP_DIRS = {".git", ".venv", "venv", "env", "__pycache__", "node_modules", "site-packages", ".tox", "build"}


@dataclass
class Project:
    """Modules of one application, keyed by dotted name."""

    roots: list[Path] = field(default_factory=list)
    modules: dict[str, nodes.Module] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # by file name
    entry: list[str] = field(default_factory=list)  # modules whose call sites are analyzed
    errors: list[str] = field(default_factory=list)
    deadline: Deadline = field(default_factory=lambda: Deadline(0))
    live: LiveScope | None = None  # the running program's values, when analysed at its first call
    _missing: set[str] = field(default_factory=set)
    params: dict[tuple[int, str], object] = field(default_factory=dict)  # bindings.parameter_value
    _lines: dict[str, list[str]] = field(default_factory=dict)
    _calls: dict[str, list[nodes.Call]] = field(default_factory=dict)
    _indexed: set[str] = field(default_factory=set)  # modules whose calls are in _calls

    # ------------------------------------------------------------------ loading
    def add_source(self, source: str, modname: str, file: str) -> nodes.Module | None:
        try:
            module = build(source, modname, file if file != "<string>" else None)
        except astroid.AstroidSyntaxError as exc:
            module = self._salvaged(source, modname, file)
            if module is None:
                err = exc.error if isinstance(getattr(exc, "error", None), SyntaxError) else None
                where = f"{file}:{err.lineno}" if err and err.lineno else file
                msg = err.msg if err else str(exc).splitlines()[0]
                self.errors.append(f"{where}: syntax error: {msg}")
                return None
        except Exception as exc:  # astroid may fail on exotic input; report, never raise
            self.errors.append(f"{file}: cannot parse: {type(exc).__name__}: {exc}".splitlines()[0])
            return None
        module.file = file
        self.modules[modname] = module
        self.sources[file] = source
        return module

    def _salvaged(self, source: str, modname: str, file: str) -> nodes.Module | None:
        """The module without its top-level blocks that do not parse (each reported once),
        or None when what is left does not parse either."""
        from chameleonapi.analysis.salvage import salvage

        kept, dropped = salvage(source, file)
        if not dropped:
            return None
        try:
            module = build(kept, modname, file if file != "<string>" else None)
        except Exception:
            return None
        for d in dropped:
            what = f"{d.name} is skipped" if d.name else "that statement is skipped"
            self.errors.append(f"{file}:{d.line}: syntax error: {d.message} ({what}; the rest is analyzed)")
        return module

    def load_file(self, path: Path, modname: str) -> nodes.Module | None:
        try:
            source = read_source(path)
        except OSError as exc:
            self.errors.append(f"{path}: cannot read: {exc.strerror or exc}")
            return None
        return self.add_source(source, modname, str(path))

    def module(self, modname: str) -> nodes.Module | None:
        """The application's module `modname`, loaded on first use; None if not the app's."""
        if modname in self.modules:
            return self.modules[modname]
        if modname in self._missing or not modname:
            return None
        self.deadline.check()
        path = self.locate(modname)
        if path is not None:
            return self.load_file(path, modname)
        self._missing.add(modname)
        return None

    def locate(self, modname: str) -> Path | None:
        """The file of the application's module `modname` under its roots, or None."""
        rel = Path(*modname.split("."))
        for root in self.roots:
            for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
                if candidate.is_file():
                    return candidate
        return None

    # ------------------------------------------------------------------ helpers
    def resolve_import(self, node: nodes.ImportFrom | nodes.Import, name: str) -> nodes.NodeNG | None:
        """What an imported name refers to inside the app (a module or a top-level node)."""
        here = node.root()
        if isinstance(node, nodes.Import):
            for full, alias in node.names:
                if (alias or full.split(".")[0]) == name:
                    return self.module(full if alias else full.split(".")[0])
            return None
        base = node.modname or ""
        if node.level:
            parts = here.name.split(".")
            pkg = parts if here.package else parts[:-1]
            pkg = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
            base = ".".join([*pkg, base] if base else pkg)
        for orig, alias in node.names:
            if orig == "*":  # from helpers import *: the name if that app module defines it
                module = self.module(base)
                found = top_level(module, name) if module is not None else None
                if found is not None:
                    return found
                continue
            if (alias or orig) != name:
                continue
            module = self.module(base)
            if module is not None:
                found = top_level(module, orig)
                if found is not None:
                    return found
            return self.module(f"{base}.{orig}" if base else orig)
        return None

    def owns(self, node: nodes.NodeNG) -> bool:
        """Is this node in one of the application's modules (not astroid's builtins)?"""
        root = node.root()
        return any(root is module for module in self.modules.values())

    def location(self, node: nodes.NodeNG) -> tuple[str, int]:
        return (node.root().file or "<string>", node.lineno or 0)

    def lines(self, file: str) -> list[str]:
        """A source file's lines, split once."""
        if file not in self._lines:
            self._lines[file] = self.sources.get(file, "").splitlines()
        return self._lines[file]

    def calls_named(self, name: str) -> list[nodes.Call]:
        """Calls in the loaded modules whose callee is written `name` or `x.name`."""
        for modname, module in list(self.modules.items()):
            if modname in self._indexed:
                continue  # each module is indexed once, when first asked after it loads
            self._indexed.add(modname)
            for call in module.nodes_of_class(nodes.Call):
                fn = call.func
                callee = fn.attrname if isinstance(fn, nodes.Attribute) else getattr(fn, "name", None)
                if callee:
                    self._calls.setdefault(callee, []).append(call)
        return self._calls.get(name, [])

    def segment(self, node: nodes.NodeNG) -> str:
        file = node.root().file or "<string>"
        if file not in self.sources or node.lineno is None or node.end_lineno is None:
            return ""
        lines = self.lines(file)[node.lineno - 1 : node.end_lineno]
        if not lines:
            return ""
        if len(lines) == 1:
            return lines[0][node.col_offset : node.end_col_offset]
        lines[0] = lines[0][node.col_offset :]
        lines[-1] = lines[-1][: node.end_col_offset]
        return "\n".join(lines)

    def implicit_concat(self, node: nodes.Const) -> bool:
        """Is this string written as adjacent literals ("a" "b"), which Python joins?"""
        text = self.segment(node)
        if not text:
            return False
        try:
            toks = [
                t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type == tokenize.STRING
            ]
        except (tokenize.TokenError, SyntaxError, IndentationError):
            return False
        return len(toks) > 1


def build(source: str, modname: str, path: str | None) -> nodes.Module:
    """The module's syntax tree, without astroid's post-build steps: those import every
    module named in a `from x import *` through astroid's own loader and infer every
    `self.attr = ...`, which costs seconds and memory on large packages and reads code
    outside the application. Imported names are bound the way astroid binds them; star
    imports are resolved later against the application's own modules (`Project.star`)."""
    try:
        from astroid.builder import AstroidBuilder

        builder = AstroidBuilder(astroid.MANAGER, apply_transforms=False)
        module, tree = builder._data_build(source, modname, path)
        pending = tree._import_from_nodes
    except (AttributeError, TypeError, ValueError):  # another astroid layout
        return astroid.parse(source, module_name=modname, path=path)
    for from_node, global_names in pending:
        for name, asname in from_node.names:
            if name == "*":
                continue
            bound = asname or name
            scope = module if bound in global_names else from_node.parent
            scope.set_local(bound, from_node)
            scope.scope().locals[bound].sort(key=lambda n: n.fromlineno or 0)
    return module


def read_source(path: Path) -> str:
    """A Python file's text the way Python reads it: a byte-order mark or a PEP 263 coding
    line picks the encoding (UTF-8 otherwise); undecodable bytes are replaced, not fatal."""
    data = read_capped(path)  # bounded: a larger module raises TooLarge (an OSError)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # an unknown encoding name in the coding line
        encoding = "utf-8"
    try:
        return data.decode(encoding, errors="replace").removeprefix("\ufeff")
    except LookupError:
        return data.decode("utf-8", errors="replace").removeprefix("\ufeff")


def top_level(module: nodes.Module, name: str) -> nodes.NodeNG | None:
    """The last top-level binding of `name` in a module (function, class or assignment)."""
    found = None
    for stmt in module.body:
        if isinstance(stmt, (nodes.FunctionDef, nodes.ClassDef)) and stmt.name == name:
            found = stmt
        elif isinstance(stmt, (nodes.Assign, nodes.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, nodes.Assign) else [stmt.target]
            if any(isinstance(t, nodes.AssignName) and t.name == name for t in targets):
                found = stmt
        elif isinstance(stmt, (nodes.ImportFrom, nodes.Import)):
            if any((alias or orig.split(".")[0]) == name for orig, alias in stmt.names):
                found = stmt
    return found


def as_path(path_or_source: str | Path) -> Path | None:
    """The path meant, or None when the argument is source text."""
    if isinstance(path_or_source, Path):
        return path_or_source
    if (
        isinstance(path_or_source, str)
        and "\n" not in path_or_source
        and len(path_or_source) < 4096
        and Path(path_or_source).exists()
    ):
        return Path(path_or_source)
    return None


def python_files(folder: Path) -> list[Path]:
    """The application's .py files under a folder (virtualenvs, caches and builds skipped)."""
    return [
        f for f in sorted(folder.rglob("*.py")) if not SKIP_DIRS.intersection(f.relative_to(folder).parts)
    ]


def load(path_or_source: str | Path) -> Project:
    """Parse a file, a package directory, or source text into a Project."""
    project = Project()
    given = as_path(path_or_source)
    if given is not None:
        path = given.resolve()
        if path.is_dir():
            project.roots = [path]
            if (path / "__init__.py").exists():
                project.roots.append(path.parent)
            for file in python_files(path):
                rel = file.relative_to(path).with_suffix("")
                parts = list(rel.parts)
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                modname = ".".join(parts) or path.name
                if project.load_file(file, modname) is not None:
                    project.entry.append(modname)
            return project
        if not path.is_file():
            project.errors.append(f"{path}: not a file or directory")
            return project
        root = path.parent
        pkg_parts: list[str] = []
        while (root / "__init__.py").exists() and root.parent != root:
            pkg_parts.insert(0, root.name)
            root = root.parent
        project.roots = [path.parent, root] if root != path.parent else [root]
        modname = ".".join([*pkg_parts, path.stem]) if path.stem != "__init__" else ".".join(pkg_parts)
        if project.load_file(path, modname or path.stem) is not None:
            project.entry.append(modname or path.stem)
        return project
    if isinstance(path_or_source, str):
        if project.add_source(path_or_source, "__main__", "<string>") is not None:
            project.entry.append("__main__")
        return project
    project.errors.append(f"expected a path or source text, got {type(path_or_source).__name__}")
    return project
