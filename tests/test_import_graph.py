"""The package's import structure: every module imports on its own, no import cycle, and
`import chameleonapi` stays cheap."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import chameleonapi

PACKAGE = Path(chameleonapi.__file__).resolve().parent
ROOT = PACKAGE.parent
HEAVY = ("torch", "timm", "onnxruntime", "onnx", "astroid", "google.cloud", "google.api_core", "grpc", "azure", "msrest", "boto3", "botocore")
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "NO_GCE_CHECK": "true"}
ENV.pop("CHAMELEONAPI", None)


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (packages by their `__init__.py`)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, at top level or inside functions alike.

    `from P import n` is an import of module `P.n` when that is a module, else of `P`;
    imports under `if TYPE_CHECKING:` never run and are left out.
    """
    mods = modules()

    def owner(name: str) -> str:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        stack: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.If) and _is_type_checking(node):
                stack.extend(node.orelse)
                continue
            if isinstance(node, ast.Import):
                edges.update(owner(a.name) for a in node.names if a.name.split(".")[0] == "chameleonapi")
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                if base.split(".")[0] == "chameleonapi":
                    for alias in node.names:
                        full = f"{base}.{alias.name}"
                        edges.add(full if full in mods else owner(base))
            stack.extend(ast.iter_child_nodes(node))
        edges.discard(name)
        edges.discard("")
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path `a -> b -> ... -> a`, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 50 and graph["chameleonapi.serving.calls"] >= {"chameleonapi.serving.resolution"}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_find_cycle_reports_the_loop():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


# Each module is imported in a process that has loaded no chameleonapi module before it. The
# third-party packages are loaded once first and the process forks per module, so this costs
# milliseconds per module: what is checked is the package's own import order.
DRIVER = r"""
import importlib, json, os, sys
names = json.loads(sys.argv[1])
for heavy in ("numpy", "PIL.Image", "torch", "astroid", "wrapt", "google.cloud.vision",
              "azure.cognitiveservices.vision.computervision", "azure.ai.vision.imageanalysis", "boto3"):
    try:
        importlib.import_module(heavy)
    except Exception:
        pass
assert not [m for m in sys.modules if m.split(".")[0] == "chameleonapi"]
results = {}
for name in names:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(name)
            verdict = "ok"
        except ModuleNotFoundError as exc:
            top = (exc.name or "").split(".")[0]
            verdict = f"skip: {exc.name} is not installed" if top != "chameleonapi" else f"error: {exc!r}"
        except BaseException as exc:
            verdict = f"error: {type(exc).__name__}: {exc}"
        os.write(write, verdict.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        results[name] = fh.read().decode() or "error: the import ended the process"
    os.waitpid(pid, 0)
print(json.dumps(results))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork to import each module in a fresh process")
def test_each_module_imports_on_its_own():
    names = [n for n in modules() if not n.endswith("__main__") and ".examples" not in n and "._boot" not in n]
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(names)], capture_output=True, text=True, env=ENV, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    verdicts = json.loads(result.stdout.strip().splitlines()[-1])
    errors = {name: v for name, v in verdicts.items() if v.startswith("error")}
    assert not errors, json.dumps(errors, indent=1)
    assert sum(v == "ok" for v in verdicts.values()) > len(names) // 2


def test_import_is_light():
    """`import chameleonapi` loads neither torch, timm, astroid nor a cloud SDK."""
    code = textwrap.dedent(
        f"""
        import sys, chameleonapi
        heavy = [m for m in sys.modules if m.startswith({HEAVY!r})]
        assert not heavy, heavy
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=120)
    assert result.returncode == 0, result.stderr


# The floors of the package, bottom first: a module may import its own floor and those below,
# never one above (`docs/architecture.md` draws them). Each name is a top-level module or package.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("_version", "logs", "config", "errors", "atomic", "locks", "objectstore", "leases", "artifacts", "tensorfiles"),
    ("imaging",),
    ("services",),  # the catalogue: what each service is; nothing of patching, serving or a model
    ("vocab", "decisions", "spec", "model"),
    ("data", "store"),
    ("detection", "training", "analysis"),
    ("evaluation",),
    ("serving", "runtime"),
    ("patches",),
    ("switch", "__init__", "bootstrap", "_boot", "pytest_plugin", "cli", "__main__", "examples"),
)


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_imports_run_only_downward():
    floor_of = {room: level for level, rooms in enumerate(FLOORS) for room in rooms}
    graph = import_graph()
    rooms = {_room(m) for m in graph}
    assert rooms <= set(floor_of), f"modules outside every floor: {sorted(rooms - set(floor_of))}"
    upward = sorted(
        f"{a} -> {b}" for a, targets in graph.items() for b in targets if floor_of[_room(b)] > floor_of[_room(a)]
    )
    assert not upward, "imports from a lower floor to a higher one:\n" + "\n".join(upward)


def test_the_catalogue_reaches_only_the_floors_below_it():
    floor_of = {room: level for level, rooms in enumerate(FLOORS) for room in rooms}
    assert floor_of["services"] < floor_of["model"] < floor_of["serving"] < floor_of["patches"]
    # The catalogue's own edges in the real graph reach only the floors below it.
    graph = import_graph()
    catalogue = {b for a, targets in graph.items() if _room(a) == "services" for b in targets}
    assert catalogue and {_room(b) for b in catalogue} <= {"services", "imaging", "config", "errors", "logs"}


def _hidden_imports(tree: ast.AST) -> list[int]:
    """Lines that import a module whose name a reader or a tool cannot see: `import_module` or
    `__import__` of anything but a string literal (an f-string of another package's modules, such
    as an SDK's versions, is allowed)."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in ("import_module", "__import__"):
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            continue
        if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
            if not str(arg.values[0].value).startswith("chameleonapi"):
                continue
        lines.append(node.lineno)
    return lines


def test_no_hidden_import_loop():
    hidden = {
        f"{name}:{line}"
        for name, path in modules().items()
        for line in _hidden_imports(ast.parse(path.read_text(encoding="utf-8")))
    }
    assert not hidden, f"modules imported by a computed name: {sorted(hidden)}"
    assert _hidden_imports(ast.parse("for m in MODS:\n    importlib.import_module(m)")) == [2]
def test_serving_is_entered_only_through_the_runtime_door():
    """Above serving (patches, switch, plugin, command line) only `chameleonapi.runtime`
    imports serving's modules; below it nothing does."""
    through = {
        name: sorted(e for e in edges if e.startswith("chameleonapi.serving"))
        for name, edges in import_graph().items()
        if not name.startswith("chameleonapi.serving") and name != "chameleonapi.runtime"
    }
    assert not {name: edges for name, edges in through.items() if edges}
    assert "chameleonapi.runtime" in import_graph()["chameleonapi.patches.google_vision"]
