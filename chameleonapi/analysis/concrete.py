"""A small interpreter of the application's own Python, run on hypothetical SDK responses.

`probes` asks "what does the application do when the API answers *this*?" by interpreting
its functions (stdlib `ast`, never `exec`): the SDK call returns a response built by the
analysis, everything the interpreter does not know (an import outside the application, a
file, the network, a camera) is an `Opaque` value, and a call of an opaque function is
recorded as an observable effect instead of being made. Only plain data and a fixed set of
pure builtins are ever evaluated for real, so no application code runs and nothing outside
the process is touched. Label text carries a mark (`LStr`) so the constants it is compared
with can be collected, and scores one (`LNum`) so printing a score does not count as a
different outcome.
"""

from __future__ import annotations

import ast
import builtins
import collections
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chameleonapi.errors import Error


class Stop(Error):
    """The run cannot go on (budget, unsupported code): its result is not used."""


class AppRaise(Error):
    """An exception raised by the application's code (or by a builtin on its data)."""

    def __init__(self, value: Any) -> None:
        super().__init__(repr(value))
        self.value = value


class _Return(Error):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(Error):
    pass


class _Continue(Error):
    pass


class LStr(str):
    """Text that comes from a label of the response."""


class LNum(float):
    """A score that comes from the response."""


class Opaque:
    """A value the interpreter does not know; `tainted` when it depends on the response."""

    __slots__ = ("why", "tainted")

    def __init__(self, why: str, tainted: bool = False) -> None:
        self.why = why if len(why) <= 80 else why[:40] + "…" + why[-39:]  # the head and the method called
        self.tainted = tainted

    def __repr__(self) -> str:
        return f"?{self.why}"


class Rec:
    """An SDK response object: attributes only, anything missing is opaque."""

    _kind: str

    def __init__(self, kind: str = "", **attrs: Any) -> None:
        self.__dict__["_kind"] = kind
        self.__dict__.update(attrs)

    def __repr__(self) -> str:
        name = self.__dict__.get("description") or self.__dict__.get("name") or self.__dict__.get("object_property")
        return f"{self._kind}({name})" if name is not None else f"{self._kind}()"


@dataclass
class Func:
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    scope: Scope
    defaults: list[Any]
    kw_defaults: list[Any]
    self_value: Any = None
    owner: ClassV | None = None


@dataclass
class ClassV:
    name: str
    attrs: dict[str, Any]
    bases: list[Any]

    def lookup(self, name: str) -> Any:
        if name in self.attrs:
            return self.attrs[name]
        for base in self.bases:
            if isinstance(base, ClassV):
                found = base.lookup(name)
                if found is not _MISSING:
                    return found
        return _MISSING


@dataclass
class Inst:
    cls: ClassV
    attrs: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"{self.cls.name}({', '.join(f'{k}={render(v)}' for k, v in sorted(self.attrs.items()))})"


@dataclass
class ModuleV:
    name: str
    globals: dict[str, Any]


_MISSING = object()
MISSING = _MISSING  # what a live lookup returns for a name it cannot read


@dataclass
class Scope:
    """Names of one function run (or a module), with the scope it was defined in."""

    names: dict[str, Any]
    parent: Scope | None
    globals: dict[str, Any]
    declared_global: set[str] = field(default_factory=set)


RUNTIME_MARK = "\u27ea"  # ⟪: the start of a symbol that stands for a value read at run time


def symbol_of(why: str) -> str:
    return f"{RUNTIME_MARK}{why}\u27eb"


def tainted(value: Any, depth: int = 0) -> bool:
    if isinstance(value, (LStr, LNum)):
        return True
    if isinstance(value, Opaque):
        return value.tainted
    if isinstance(value, Rec):
        return bool(value.__dict__.get("_label"))
    if depth < 2 and isinstance(value, (list, tuple, set, frozenset)):
        return any(tainted(v, depth + 1) for v in list(value)[:50])
    if depth < 2 and isinstance(value, dict):
        return any(tainted(k, depth + 1) or tainted(v, depth + 1) for k, v in list(value.items())[:50])
    return False


def _is_dump(value: Any) -> bool:
    """Is `value` the response, a record of it or a collection? Printing one is a dump of
    what the call returned, not an outcome that tells labels apart."""
    return isinstance(value, (Rec, dict, list, tuple, set, frozenset))


def render(value: Any, depth: int = 0, raw: bool = False) -> str:
    """A stable text of a value for an effect trace (no addresses, scores as <S>; label
    text as <L> unless `raw`)."""
    if depth > 3:
        return "…"
    if isinstance(value, LNum):
        return "<S>"
    if isinstance(value, LStr):
        return repr(str(value)) if raw else "<L>"
    if isinstance(value, (str, int, float, bool)) or value is None:
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render(v, depth + 1, raw) for v in value[:30]) + "]"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(render(v, depth + 1, raw) for v in value)) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render(k, depth + 1, raw)}: {render(v, depth + 1, raw)}" for k, v in list(value.items())[:30]) + "}"
    if isinstance(value, Opaque):
        return repr(value)
    if isinstance(value, Rec):
        return repr(value) if raw or not value.__dict__.get("_label") else f"{value._kind}(<L>)"
    if isinstance(value, Inst):
        return value.cls.name + "(" + ", ".join(f"{k}={render(v, depth + 1, raw)}" for k, v in sorted(value.attrs.items())) + ")"
    if isinstance(value, Func):
        return f"<fn {getattr(value.node, 'name', 'lambda')}>"
    if isinstance(value, ClassV):
        return f"<class {value.name}>"
    if isinstance(value, ModuleV):
        return f"<module {value.name}>"
    return f"<{type(value).__name__}>"


def _mark(value: Any, source_tainted: bool) -> Any:
    """Keep the label mark on text derived from label text."""
    if not source_tainted:
        return value
    if isinstance(value, str) and not isinstance(value, LStr):
        return LStr(value)
    if isinstance(value, float) and not isinstance(value, LNum) and not isinstance(value, bool):
        return LNum(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return LNum(value)
    if isinstance(value, list):
        return [_mark(v, True) for v in value]
    if isinstance(value, tuple):
        return tuple(_mark(v, True) for v in value)
    return value


# Methods of plain data that are pure (no I/O, no callbacks into unknown code).
SAFE_METHODS: dict[type, set[str]] = {
    str: {
        "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "join", "format", "startswith",
        "endswith", "replace", "title", "capitalize", "casefold", "find", "rfind", "count", "index",
        "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper", "splitlines", "partition",
        "rpartition", "zfill", "center", "ljust", "rjust", "swapcase", "removeprefix", "removesuffix", "encode",
    },
    list: {"append", "extend", "insert", "pop", "remove", "index", "count", "sort", "copy", "reverse", "clear"},
    dict: {"get", "items", "keys", "values", "setdefault", "update", "pop", "copy", "clear", "popitem"},
    set: {"add", "update", "discard", "remove", "pop", "union", "intersection", "difference", "issubset",
          "issuperset", "isdisjoint", "copy", "clear", "symmetric_difference", "intersection_update",
          "difference_update"},
    frozenset: {"union", "intersection", "difference", "issubset", "issuperset", "isdisjoint", "copy"},
    tuple: {"index", "count"},
    int: {"bit_length"},
    float: {"is_integer"},
    bytes: {"decode"},
}

_RE_FUNCS = {"search", "match", "fullmatch", "findall", "sub", "split", "compile", "escape", "finditer"}
_MATH_FUNCS = {"floor", "ceil", "sqrt", "isclose", "fabs", "log", "exp"}


class Interpreter:
    """One run of the application's code on one hypothetical response."""

    def __init__(
        self,
        modules: dict[str, tuple[str, ast.Module]],
        sdk_answer: Callable[[ast.Call, list[Any], dict[str, Any]], Any],
        is_sdk_call: Callable[[ast.Call], bool],
        live: Callable[[str], Any] | None = None,
        max_steps: int = 40_000,
    ) -> None:
        self.modules = modules  # dotted name -> (file, tree)
        self.sdk_answer = sdk_answer
        self.is_sdk_call = is_sdk_call
        self.live = live
        self.steps = 0
        self.max_steps = max_steps
        self.active: dict[int, int] = {}  # calls of each function now running
        self.events: list[str] = []
        self.raw_events: list[str] = []
        self.compared: set[str] = set()
        self.unresolved: list[int] = []  # lines where a label was tested against a value not known
        self.reached_sdk = 0
        self.loaded: dict[str, ModuleV] = {}
        self.depth = 0
        self.current_file = ""
        self.main_module = ""
        self.find_module: Callable[[str], tuple[str, ast.Module] | None] = lambda name: None

    def emit(self, build: Callable[[Callable[[Any], str]], str]) -> None:
        """Record an observable effect, as text with label text hidden and as it is."""
        self.events.append(build(render))
        self.raw_events.append(build(lambda v: render(v, raw=True)))

    # ------------------------------------------------------------------ modules
    def module(self, name: str, as_main: bool = False) -> ModuleV:
        if name in self.loaded:
            return self.loaded[name]
        file, tree = self.modules[name]
        globs: dict[str, Any] = {"__name__": "__main__" if as_main else name, "__file__": file}
        mod = ModuleV(name, globs)
        self.loaded[name] = mod
        scope = Scope(globs, None, globs)
        saved = self.current_file
        self.current_file = file
        try:
            for stmt in tree.body:
                try:
                    self.stmt(stmt, scope)
                except (AppRaise, _Break, _Continue, _Return):
                    break
        finally:
            self.current_file = saved
        if self.live is not None and not as_main:
            for key, value in list(globs.items()):
                if isinstance(value, Opaque):
                    got = self.live(key) if name == self.main_module else _MISSING
                    if got is not _MISSING:
                        globs[key] = got
        return mod

    def _import(self, dotted: str, level: int, here: str) -> Any:
        name = dotted
        if level:
            base = here.rsplit(".", level)[0] if "." in here else ""
            name = f"{base}.{dotted}".strip(".") if dotted else base
        for candidate in (name, name.rsplit(".", 1)[-1]):
            if candidate not in self.modules:
                found = self.find_module(candidate)
                if found is not None:
                    self.modules[candidate] = found
            if candidate in self.modules:
                return self.module(candidate)
        if name in ("re",):
            return ModuleV("re", {f: getattr(re, f) for f in _RE_FUNCS} | {"I": re.I, "IGNORECASE": re.I})
        if name == "math":
            return ModuleV("math", {f: getattr(math, f) for f in _MATH_FUNCS})
        if name in _DATA_MODULES:
            return ModuleV(name, dict(_DATA_MODULES[name]))
        return Opaque(name)

    # ------------------------------------------------------------------ statements
    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise Stop("step budget")

    def block(self, body: list[ast.stmt], scope: Scope) -> None:
        for stmt in body:
            self.stmt(stmt, scope)

    def stmt(self, node: ast.stmt, scope: Scope) -> None:
        self.tick()
        if isinstance(node, ast.Expr):
            self.expr(node.value, scope)
        elif isinstance(node, ast.Assign):
            value = self.expr(node.value, scope)
            for target in node.targets:
                self.assign(target, value, scope)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.assign(node.target, self.expr(node.value, scope), scope)
        elif isinstance(node, ast.AugAssign):
            current = self.expr(_as_load(node.target), scope)
            self.assign(node.target, self.binop(node.op, current, self.expr(node.value, scope)), scope)
        elif isinstance(node, ast.If):
            test = self.expr(node.test, scope)
            self.block(node.body if self.truth(test, node) else node.orelse, scope)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.for_loop(node, scope)
        elif isinstance(node, ast.While):
            self.while_loop(node, scope)
        elif isinstance(node, ast.Return):
            raise _Return(self.expr(node.value, scope) if node.value is not None else None)
        elif isinstance(node, ast.Break):
            raise _Break()
        elif isinstance(node, ast.Continue):
            raise _Continue()
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            func = self.make_func(node, scope)
            self.set_name(node.name, func, scope)
        elif isinstance(node, ast.ClassDef):
            self.set_name(node.name, self.make_class(node, scope), scope)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                mod = self._import(alias.name, 0, "")
                if alias.asname:
                    self.set_name(alias.asname, mod, scope)
                else:
                    head = alias.name.split(".")[0]
                    self.set_name(head, mod if "." not in alias.name else self._import(head, 0, ""), scope)
        elif isinstance(node, ast.ImportFrom):
            here = next((n for n, (f, _) in self.modules.items() if f == self.current_file), "")
            mod = self._import(node.module or "", node.level or 0, here)
            for alias in node.names:
                if alias.name == "*":
                    if isinstance(mod, ModuleV):
                        scope.names.update({k: v for k, v in mod.globals.items() if not k.startswith("_")})
                    continue
                value = self.attr(mod, alias.name, node)
                if isinstance(value, Opaque) and not isinstance(mod, Opaque):
                    sub = self._import(f"{node.module or ''}.{alias.name}".strip("."), node.level or 0, here)
                    value = sub if isinstance(sub, ModuleV) else value
                self.set_name(alias.asname or alias.name, value, scope)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self.try_stmt(node, scope)  # type: ignore[arg-type]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                value = self.expr(item.context_expr, scope)
                if item.optional_vars is not None:
                    entered = value if isinstance(value, (Inst, Rec, ModuleV)) else Opaque("with", tainted(value))
                    self.assign(item.optional_vars, entered, scope)
            self.block(node.body, scope)
        elif isinstance(node, ast.Raise):
            raise AppRaise(self.expr(node.exc, scope) if node.exc is not None else Opaque("reraise"))
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            if isinstance(node, ast.Global):
                scope.declared_global.update(node.names)
        elif isinstance(node, (ast.Pass, ast.Assert, ast.Delete)):
            pass
        elif type(node).__name__ == "Match":
            subject = self.expr(node.subject, scope)  # type: ignore[attr-defined]
            self.match_stmt(node, subject, scope)
        else:
            pass  # a statement kind with no effect on values the interpreter follows

    def match_stmt(self, node: Any, subject: Any, scope: Scope) -> None:
        for case in node.cases:
            pattern = case.pattern
            if isinstance(pattern, ast.MatchValue):
                value = self.expr(pattern.value, scope)
                if self.compare_values(ast.Eq(), subject, value, node) is True:
                    self.block(case.body, scope)
                    return
            elif isinstance(pattern, ast.MatchAs) and pattern.pattern is None:
                if pattern.name:
                    self.set_name(pattern.name, subject, scope)
                self.block(case.body, scope)
                return

    def try_stmt(self, node: ast.Try, scope: Scope) -> None:
        try:
            try:
                self.block(node.body, scope)
            except AppRaise as exc:
                if not node.handlers:
                    raise
                handler = node.handlers[0]
                if handler.name:
                    self.set_name(handler.name, exc.value, scope)
                self.block(handler.body, scope)
            else:
                self.block(node.orelse, scope)
        finally:
            if node.finalbody:
                self.block(node.finalbody, scope)

    def for_loop(self, node: ast.For | ast.AsyncFor, scope: Scope) -> None:
        iterable = self.expr(node.iter, scope)
        items = self.iterate(iterable)
        broke = False
        for item in items:
            self.tick()
            self.assign(node.target, item, scope)
            try:
                self.block(node.body, scope)
            except _Break:
                broke = True
                break
            except _Continue:
                continue
        if not broke:
            self.block(node.orelse, scope)

    def while_loop(self, node: ast.While, scope: Scope) -> None:
        rounds = 0
        calls = self.reached_sdk
        while True:
            test = self.expr(node.test, scope)
            if isinstance(test, Opaque) or test is True and isinstance(node.test, ast.Constant):
                # an endless or unknown loop (a camera, a bot) is run until a round that made
                # an SDK call (`if frame % 10 == 0: analyze(...)`), at most ENDLESS_ROUNDS
                if rounds >= 1 and (self.reached_sdk > calls or rounds >= ENDLESS_ROUNDS):
                    break
            elif not self.truth(test, node):
                self.block(node.orelse, scope)
                break
            rounds += 1
            if rounds > 50:
                break
            try:
                self.block(node.body, scope)
            except _Break:
                break
            except _Continue:
                continue

    def iterate(self, value: Any) -> list[Any]:
        if isinstance(value, Opaque):  # two items, so that items of unknown data can differ
            return [Opaque(value.why + "[0]", value.tainted), Opaque(value.why + "[1]", value.tainted)]
        if isinstance(value, dict):
            return list(value.keys())
        if isinstance(value, range) and len(value) > MAX_ITEMS:
            value = value[:MAX_ITEMS]  # the step budget ends such a loop long before
        if isinstance(value, (list, tuple, set, frozenset, str, range)):
            items = list(value)
            if isinstance(value, LStr):
                items = [LStr(c) for c in items]
            return items
        if isinstance(value, Rec):
            return [Opaque("iter", tainted(value))]
        if isinstance(value, Inst):
            return [Opaque(value.cls.name + "[i]")]
        return [Opaque("iter")]

    def truth(self, value: Any, node: ast.AST) -> bool:
        if isinstance(value, Opaque):
            if value.tainted:
                self.unresolved.append(getattr(node, "lineno", 0))
            return self.policy(node)
        if isinstance(value, (Inst, Func, ClassV, ModuleV, Rec)):
            return True
        try:
            return bool(value)
        except Exception:
            return True

    def policy(self, node: ast.AST) -> bool:
        """An unknown test: take the branch that goes on (the other ends the function early)."""
        if isinstance(node, ast.If):
            if self.reached_sdk == 0 and _reaches(node.body, self) and not _reaches(node.orelse, self):
                return True
            if self.reached_sdk == 0 and _reaches(node.orelse, self) and not _reaches(node.body, self):
                return False
            if _ends(node.body) and not _ends(node.orelse):
                return False
            return True
        return True

    # ------------------------------------------------------------------ names
    def set_name(self, name: str, value: Any, scope: Scope) -> None:
        if name in scope.declared_global:
            scope.globals[name] = value
            self.emit(lambda r: f"global {name}={r(value)}")
        else:
            scope.names[name] = value

    def get_name(self, name: str, scope: Scope | None) -> Any:
        s = scope
        while s is not None:
            if name in s.names:
                return s.names[name]
            s = s.parent
        if scope is not None and name in scope.globals:
            return scope.globals[name]
        if name in BUILTINS:
            return BUILTINS[name]
        return Opaque(name)

    def assign(self, target: ast.expr, value: Any, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            self.set_name(target.id, value, scope)
        elif isinstance(target, (ast.Tuple, ast.List)):
            elts = target.elts
            if isinstance(value, (list, tuple)) and not any(isinstance(e, ast.Starred) for e in elts) and len(value) == len(elts):
                for sub, item in zip(elts, value):
                    self.assign(sub, item, scope)
            else:
                base = value.why if isinstance(value, Opaque) else "unpack"
                for k, sub in enumerate(elts):
                    inner = sub.value if isinstance(sub, ast.Starred) else sub
                    self.assign(inner, Opaque(f"{base}[{k}]", tainted(value)), scope)
        elif isinstance(target, ast.Attribute):
            obj = self.expr(target.value, scope)
            if isinstance(obj, Inst):
                obj.attrs[target.attr] = value
            elif isinstance(obj, ClassV):
                obj.attrs[target.attr] = value
            elif isinstance(obj, ModuleV):
                obj.globals[target.attr] = value
            elif isinstance(obj, Rec):
                obj.__dict__[target.attr] = value
            else:
                self.emit(lambda r: f"set {r(obj)}.{target.attr}={r(value)}")
        elif isinstance(target, ast.Subscript):
            obj = self.expr(target.value, scope)
            key = self.expr(target.slice, scope)
            if isinstance(obj, (dict, list)) and not isinstance(key, (Opaque, slice)):
                try:
                    obj[key] = value
                except Exception as exc:
                    raise AppRaise(Opaque(type(exc).__name__)) from None
            elif isinstance(obj, dict) and isinstance(key, Opaque):
                obj[f"?{key.why}"] = value
            else:
                self.emit(lambda r: f"set {r(obj)}[{r(key)}]={r(value)}")
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, scope)

    # ------------------------------------------------------------------ definitions
    def make_func(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, scope: Scope) -> Func:
        args = node.args
        defaults = [self.expr(d, scope) for d in args.defaults]
        kw_defaults = [self.expr(d, scope) if d is not None else _MISSING for d in args.kw_defaults]
        return Func(node, scope, defaults, kw_defaults)

    def make_class(self, node: ast.ClassDef, scope: Scope) -> ClassV:
        bases = [self.expr(b, scope) for b in node.bases]
        cls = ClassV(node.name, {}, bases)
        body_scope = Scope(cls.attrs, scope, scope.globals)
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                func = self.make_func(stmt, scope)  # methods see the module, not the class body
                func.owner = cls
                cls.attrs[stmt.name] = func
            else:
                try:
                    self.stmt(stmt, body_scope)
                except (AppRaise, _Break, _Continue, _Return):
                    pass
        return cls

    # ------------------------------------------------------------------ calls
    def call_value(self, callee: Any, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
        self.tick()
        if isinstance(callee, Func):
            return self.call_func(callee, args, kwargs)
        if isinstance(callee, ClassV):
            return self.instantiate(callee, args, kwargs)
        if isinstance(callee, _Bound):
            return callee(*args, **kwargs)
        if isinstance(callee, Opaque):
            taint = callee.tainted or any(tainted(a) for a in args) or any(tainted(v) for v in kwargs.values())
            self.emit(lambda r: f"call {callee.why}(" + ", ".join(
                [r(a) for a in args] + [f"{k}={r(v)}" for k, v in kwargs.items()]) + ")")
            for arg in [*args, *kwargs.values()]:
                if isinstance(arg, Func) and self.depth < 8:
                    # a callback handed to unknown code (a thread, a route): run it once
                    try:
                        self.call_func(arg, [Opaque("cbarg")] * len(arg.node.args.args), {})
                    except (AppRaise, Stop):
                        pass
            shown = ", ".join(render(a) for a in args[:3] if isinstance(a, (str, int, float)) and not tainted(a))
            return Opaque(f"{callee.why}({shown})", taint)  # LED(17) and LED(27) stay apart
        if callable(callee) and (callee in _SAFE_CALLABLES or getattr(callee, "__self__", None) is not None or
                                  getattr(callee, "__module__", None) == "re"):
            if any(isinstance(a, Opaque) for a in args) or any(isinstance(v, Opaque) for v in kwargs.values()):
                return self.opaque_builtin(callee, args, kwargs)
            if _too_big([*args, *kwargs.values()]):
                return Opaque(getattr(callee, "__name__", "builtin"))
            py_args = [self.pyfunc(a) for a in args]
            py_kwargs = {k: self.pyfunc(v) for k, v in kwargs.items()}
            source_taint = any(tainted(a) for a in args) or any(tainted(v) for v in kwargs.values()) or tainted(
                getattr(callee, "__self__", None)
            )
            self.note_text_tests(callee, args)
            result = _call_pure(callee, py_args, py_kwargs)
            if callee in (len,) or (callee is sorted or callee in (min, max, sum, any, all)):
                source_taint = source_taint and callee in (min, max, sum, sorted)
            return _mark(result, source_taint) if not isinstance(result, bool) else result
        return Opaque("call", any(tainted(a) for a in args))

    def opaque_builtin(self, callee: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        taint = any(tainted(a) for a in args) or any(tainted(v) for v in kwargs.values())
        if callee is isinstance:
            return Opaque("isinstance", taint)
        if callee in (str, repr) and args and isinstance(args[0], Opaque):
            return Opaque("str", taint)
        return Opaque(getattr(callee, "__name__", "builtin"), taint)

    def note_text_tests(self, callee: Any, args: list[Any]) -> None:
        owner = getattr(callee, "__self__", None)
        name = getattr(callee, "__name__", "")
        if isinstance(owner, LStr) and name in ("startswith", "endswith", "find", "count", "index", "__contains__"):
            for a in args:
                self.collect(a)
        if isinstance(owner, (dict, list, set, frozenset, tuple)):
            if any(tainted(a) for a in args) and not tainted(owner):
                self.collect(owner)
            elif tainted(owner) and name not in ("append", "add", "extend", "insert", "update", "setdefault"):
                for a in args:
                    if not tainted(a):
                        self.collect(a)
        if owner is None and name in _RE_FUNCS and len(args) >= 2 and tainted(args[1]) and isinstance(args[0], str):
            for word in re.split(r"[|()\\^$?*+\[\]]+", args[0]):
                if re.search(r"[A-Za-z]{2}", word or ""):
                    self.compared.add(word.replace("\\b", "").strip())
        if isinstance(owner, re.Pattern) and args and tainted(args[0]):
            for word in re.split(r"[|()\\^$?*+\[\]]+", owner.pattern):
                if re.search(r"[A-Za-z]{2}", word or ""):
                    self.compared.add(word.strip())

    def pyfunc(self, value: Any) -> Any:
        if isinstance(value, Func):
            return lambda *a, **k: self.call_func(value, list(a), k)
        return value

    def call_func(self, func: Func, args: list[Any], kwargs: dict[str, Any]) -> Any:
        node = func.node
        if self.depth > 25 or (self.active.get(id(node), 0) >= MAX_RECURSION
                               and any(isinstance(a, Opaque) for a in [*args, *kwargs.values()])):
            return Opaque("deep")  # recursion over unknown data would unfold without end
        scope = Scope({}, func.scope, func.scope.globals)
        a = node.args
        params = [p.arg for p in [*a.posonlyargs, *a.args]]
        if func.self_value is not None:
            args = [func.self_value, *args]
        for i, name in enumerate(params):
            if i < len(args):
                scope.names[name] = args[i]
            elif name in kwargs:
                scope.names[name] = kwargs.pop(name)
            else:
                d = i - (len(params) - len(func.defaults))
                scope.names[name] = func.defaults[d] if d >= 0 else Opaque(name)
        if a.vararg:
            scope.names[a.vararg.arg] = tuple(args[len(params):])
        for i, kw in enumerate(a.kwonlyargs):
            default = func.kw_defaults[i] if i < len(func.kw_defaults) else _MISSING
            scope.names[kw.arg] = kwargs.pop(kw.arg, default if default is not _MISSING else Opaque(kw.arg))
        if a.kwarg:
            scope.names[a.kwarg.arg] = dict(kwargs)
        self.depth += 1
        self.active[id(node)] = self.active.get(id(node), 0) + 1
        try:
            if isinstance(node, ast.Lambda):
                return self.expr(node.body, scope)
            if _is_generator(node):
                return self.generator(node, scope)
            try:
                self.block(node.body, scope)
            except _Return as ret:
                return ret.value
            except (_Break, _Continue):
                pass
            return None
        finally:
            self.depth -= 1
            self.active[id(node)] -= 1

    def generator(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> list[Any]:
        """A generator function's values, collected eagerly (its `yield`s are its outcome)."""
        out: list[Any] = []
        scope.names["__yield__"] = out
        try:
            self.block(node.body, scope)
        except (_Return, _Break, _Continue):
            pass
        return out

    def instantiate(self, cls: ClassV, args: list[Any], kwargs: dict[str, Any]) -> Any:
        inst = Inst(cls)
        init = cls.lookup("__init__")
        if isinstance(init, Func):
            self.call_func(Func(init.node, init.scope, init.defaults, init.kw_defaults, inst, cls), list(args), dict(kwargs))
        else:  # no __init__ of its own: positional arguments fill the class's fields, as a dataclass's do
            fields = [k for k, v in cls.attrs.items() if not isinstance(v, Func) and not k.startswith("_")]
            for name, value in zip(fields, args):
                inst.attrs[name] = value
            inst.attrs.update(kwargs)
        return inst

    # ------------------------------------------------------------------ expressions
    def expr(self, node: ast.expr | None, scope: Scope) -> Any:
        self.tick()
        if node is None:
            return None
        method = getattr(self, "e_" + type(node).__name__, None)
        if method is None:
            return Opaque(type(node).__name__)
        return method(node, scope)

    def e_Constant(self, node: ast.Constant, scope: Scope) -> Any:
        return node.value

    def e_Name(self, node: ast.Name, scope: Scope) -> Any:
        value = self.get_name(node.id, scope)
        if isinstance(value, Opaque) and value.why == node.id and self.live is not None:
            got = self.live(node.id)
            if got is not _MISSING:
                return got
        return value

    def e_Attribute(self, node: ast.Attribute, scope: Scope) -> Any:
        obj = self.expr(node.value, scope)
        value = self.attr(obj, node.attr, node)
        if isinstance(value, Opaque) and isinstance(obj, Opaque) and self.live is not None and not obj.tainted:
            dotted = _dotted(node)
            if dotted:
                got = self.live(dotted)
                if got is not _MISSING:
                    return got
        return value

    def attr(self, obj: Any, name: str, node: ast.AST) -> Any:
        if isinstance(obj, Opaque):
            return Opaque(f"{obj.why}.{name}", obj.tainted)
        if isinstance(obj, Rec):
            return obj.__dict__.get(name, Opaque(f"{obj._kind}.{name}"))
        if isinstance(obj, Inst):
            if name in obj.attrs:
                return obj.attrs[name]
            found = obj.cls.lookup(name)
            if isinstance(found, Func):
                if _is_property(found.node):
                    return self.call_func(Func(found.node, found.scope, found.defaults, found.kw_defaults, obj, obj.cls), [], {})
                if _is_static(found.node):
                    return found
                return Func(found.node, found.scope, found.defaults, found.kw_defaults, obj, obj.cls)
            if found is not _MISSING:
                return found
            return Opaque(f"{obj.cls.name}.{name}")
        if isinstance(obj, ClassV):
            found = obj.lookup(name)
            if isinstance(found, Func) and _is_classmethod(found.node):
                return Func(found.node, found.scope, found.defaults, found.kw_defaults, obj, obj)
            return found if found is not _MISSING else Opaque(f"{obj.name}.{name}")
        if isinstance(obj, ModuleV):
            return obj.globals.get(name, Opaque(f"{obj.name}.{name}"))
        if isinstance(obj, Func):
            return Opaque(f"fn.{name}")
        allowed = SAFE_METHODS.get(type(obj)) or next(
            (m for t, m in SAFE_METHODS.items() if isinstance(obj, t)), set()
        )
        if name in allowed:
            return _Bound(self, obj, name)
        if isinstance(obj, re.Pattern) and name in _RE_FUNCS:
            return _Bound(self, obj, name)
        if isinstance(obj, re.Match) and name in ("group", "groups", "start", "end", "span"):
            return _Bound(self, obj, name)
        if name in ("real", "imag") and isinstance(obj, (int, float)):
            return obj
        return Opaque(f"{type(obj).__name__}.{name}", tainted(obj))

    def e_Subscript(self, node: ast.Subscript, scope: Scope) -> Any:
        obj = self.expr(node.value, scope)
        key = self.expr(node.slice, scope)
        if isinstance(obj, Opaque) or isinstance(key, Opaque):
            if isinstance(obj, dict) and tainted(key):
                self.collect(list(obj.keys()))
            if isinstance(obj, (list, tuple)) and isinstance(key, Opaque) and obj:
                return obj[0]
            where = obj.why if isinstance(obj, Opaque) else type(obj).__name__
            return Opaque(f"{where}[{render(key)}]", tainted(obj) or tainted(key))
        if isinstance(obj, dict) and tainted(key):
            self.collect(list(obj.keys()))
        if isinstance(obj, (Rec, Inst, Func, ClassV, ModuleV)):
            return Opaque("item", tainted(obj))
        try:
            value = obj[key]
        except Exception as exc:
            raise AppRaise(Opaque(type(exc).__name__)) from None
        if isinstance(obj, LStr) and isinstance(value, str):
            return LStr(value)
        if isinstance(obj, list) and isinstance(key, slice):
            return list(value)
        return value

    def e_Slice(self, node: ast.Slice, scope: Scope) -> Any:
        parts = [self.expr(p, scope) if p is not None else None for p in (node.lower, node.upper, node.step)]
        if any(isinstance(p, Opaque) for p in parts):
            return Opaque("slice")
        return slice(*parts)

    def e_Call(self, node: ast.Call, scope: Scope) -> Any:
        args: list[Any] = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                value = self.expr(a.value, scope)
                args.extend(self.iterate(value))
            else:
                args.append(self.expr(a, scope))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            value = self.expr(kw.value, scope)
            if kw.arg is None:
                if isinstance(value, dict):
                    kwargs.update({str(k): v for k, v in value.items()})
            else:
                kwargs[kw.arg] = value
        if self.is_sdk_call(node):
            self.reached_sdk += 1
            return self.sdk_answer(node, args, kwargs)
        callee = self.expr(node.func, scope)
        if isinstance(node.func, ast.Name) and node.func.id == "next" and callee is next:
            return self.next_of(args)
        if isinstance(node.func, ast.Name) and node.func.id in ("print",) and callee is BUILTINS.get("print"):
            if not any(_is_dump(a) for a in args):  # a dump of the response decides nothing
                self.emit(lambda r: "print(" + ", ".join(r(a) for a in args) + ")")
            return None
        if callee is getattr:
            return self.attr(args[0], args[1], node) if len(args) >= 2 and isinstance(args[1], str) else Opaque("getattr")
        if callee is hasattr:
            if len(args) >= 2 and isinstance(args[1], str) and isinstance(args[0], (Rec, Inst)):
                return not isinstance(self.attr(args[0], args[1], node), Opaque)
            return Opaque("hasattr")
        if callee is isinstance:
            return self.isinstance_of(args)
        return self.call_value(callee, args, kwargs, node)

    def isinstance_of(self, args: list[Any]) -> Any:
        if len(args) != 2:
            return Opaque("isinstance")
        value, kinds = args
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        if all(isinstance(k, type) for k in kinds) and not isinstance(value, (Opaque, Rec, Inst)):
            return isinstance(value, kinds)
        if isinstance(value, Inst) and all(isinstance(k, ClassV) for k in kinds):
            return any(value.cls is k or k in value.cls.bases for k in kinds)
        return Opaque("isinstance", tainted(value))

    def next_of(self, args: list[Any]) -> Any:
        if not args:
            return Opaque("next")
        items = self.iterate(args[0]) if not isinstance(args[0], Opaque) else []
        if items:
            return items[0]
        if isinstance(args[0], Opaque):
            return Opaque("next", args[0].tainted)
        if len(args) > 1:
            return args[1]
        raise AppRaise(Opaque("StopIteration"))

    def e_Lambda(self, node: ast.Lambda, scope: Scope) -> Any:
        return self.make_func(node, scope)

    def e_IfExp(self, node: ast.IfExp, scope: Scope) -> Any:
        test = self.expr(node.test, scope)
        return self.expr(node.body if self.truth(test, node) else node.orelse, scope)

    def e_NamedExpr(self, node: ast.NamedExpr, scope: Scope) -> Any:
        value = self.expr(node.value, scope)
        self.assign(node.target, value, scope)
        return value

    def e_Await(self, node: ast.Await, scope: Scope) -> Any:
        return self.expr(node.value, scope)

    def e_Yield(self, node: ast.Yield, scope: Scope) -> Any:
        value = self.expr(node.value, scope) if node.value is not None else None
        out = self.get_name("__yield__", scope)
        if isinstance(out, list):
            out.append(value)
        else:
            self.emit(lambda r: f"yield {r(value)}")
        return None

    def e_YieldFrom(self, node: ast.YieldFrom, scope: Scope) -> Any:
        value = self.expr(node.value, scope)
        out = self.get_name("__yield__", scope)
        if isinstance(out, list):
            out.extend(self.iterate(value))
        return None

    def e_List(self, node: ast.List, scope: Scope) -> Any:
        return self.elements(node.elts, scope)

    def e_Tuple(self, node: ast.Tuple, scope: Scope) -> Any:
        return tuple(self.elements(node.elts, scope))

    def e_Set(self, node: ast.Set, scope: Scope) -> Any:
        items = self.elements(node.elts, scope)
        try:
            return set(items)
        except TypeError:
            return items

    def elements(self, elts: list[ast.expr], scope: Scope) -> list[Any]:
        out: list[Any] = []
        for e in elts:
            if isinstance(e, ast.Starred):
                out.extend(self.iterate(self.expr(e.value, scope)))
            else:
                out.append(self.expr(e, scope))
        return out

    def e_Dict(self, node: ast.Dict, scope: Scope) -> Any:
        out: dict[Any, Any] = {}
        for k, v in zip(node.keys, node.values):
            value = self.expr(v, scope)
            if k is None:
                if isinstance(value, dict):
                    out.update(value)
                continue
            key = self.expr(k, scope)
            try:
                out[key if not isinstance(key, (Opaque, list, dict, set)) else render(key)] = value
            except TypeError:
                out[render(key)] = value
        return out

    def e_JoinedStr(self, node: ast.JoinedStr, scope: Scope) -> Any:
        parts: list[str] = []
        taint = False
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
                continue
            value = self.expr(v.value, scope) if isinstance(v, ast.FormattedValue) else self.expr(v, scope)
            taint = taint or tainted(value)
            if isinstance(value, LNum):
                parts.append("<S>")
            elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
                spec = v.format_spec if isinstance(v, ast.FormattedValue) else None
                text = str(value)
                if spec is not None and isinstance(spec, ast.JoinedStr):
                    try:
                        text = format(value, "".join(str(getattr(p, "value", "")) for p in spec.values))
                    except Exception:
                        text = str(value)
                parts.append(text)
            else:
                parts.append(render(value))
        text = "".join(parts)
        return LStr(text) if taint else text

    def e_BinOp(self, node: ast.BinOp, scope: Scope) -> Any:
        return self.binop(node.op, self.expr(node.left, scope), self.expr(node.right, scope))

    def binop(self, op: ast.operator, left: Any, right: Any) -> Any:
        taint = tainted(left) or tainted(right)
        if isinstance(left, Opaque) or isinstance(right, Opaque):
            return Opaque("op", taint)
        if isinstance(op, (ast.BitAnd, ast.BitOr, ast.Sub)) and isinstance(left, (set, frozenset)) and tainted(left):
            self.collect(right)
        if isinstance(op, (ast.BitAnd, ast.BitOr, ast.Sub)) and isinstance(right, (set, frozenset)) and tainted(right):
            self.collect(left)
        if not _plain(left) or not _plain(right):
            return Opaque("op", taint)
        if isinstance(op, ast.Mod) and isinstance(left, str):
            try:
                args = right if isinstance(right, tuple) else (right,)
                result = left % tuple("<S>" if isinstance(a, LNum) else a for a in args)
            except Exception as exc:
                raise AppRaise(Opaque(type(exc).__name__)) from None
            return LStr(result) if taint else result
        fn = _BINOPS.get(type(op))
        if fn is None:
            return Opaque("op", taint)
        if isinstance(op, ast.Mult) and (isinstance(left, (str, list)) or isinstance(right, (str, list))):
            n = right if isinstance(left, (str, list)) else left
            if isinstance(n, int) and n > 1000:
                return Opaque("op", taint)
        try:
            result = fn(left, right)
        except Exception as exc:
            raise AppRaise(Opaque(type(exc).__name__)) from None
        if isinstance(result, (list, tuple)) and not taint:
            return result
        return _mark(result, taint) if not isinstance(result, (list, tuple)) else result

    def e_UnaryOp(self, node: ast.UnaryOp, scope: Scope) -> Any:
        value = self.expr(node.operand, scope)
        if isinstance(node.op, ast.Not):
            if isinstance(value, Opaque):
                return Opaque("not", value.tainted)
            return not self.truth(value, node)
        if isinstance(value, Opaque) or not isinstance(value, (int, float)):
            return Opaque("unary", tainted(value))
        result = -value if isinstance(node.op, ast.USub) else (+value if isinstance(node.op, ast.UAdd) else ~int(value))
        return _mark(result, tainted(value))

    def e_BoolOp(self, node: ast.BoolOp, scope: Scope) -> Any:
        is_and = isinstance(node.op, ast.And)
        value: Any = None
        for i, sub in enumerate(node.values):
            value = self.expr(sub, scope)
            if isinstance(value, Opaque):
                if value.tainted or i == len(node.values) - 1:
                    # an unknown part: the whole is unknown unless a known part decides it
                    rest = [self.expr(s, scope) for s in node.values[i + 1:]]
                    for r in rest:
                        if not isinstance(r, Opaque) and self.truth(r, node) != is_and:
                            return r
                    return Opaque("boolop", value.tainted or any(tainted(r) for r in rest))
                continue  # an unknown untainted part does not decide
            truth = self.truth(value, node)
            if truth != is_and:
                return value
        return value

    def e_Compare(self, node: ast.Compare, scope: Scope) -> Any:
        left = self.expr(node.left, scope)
        result: Any = True
        for op, comp in zip(node.ops, node.comparators):
            right = self.expr(comp, scope)
            outcome = self.compare_values(op, left, right, node)
            if outcome is False:
                return False
            if isinstance(outcome, Opaque):
                result = outcome
            left = right
        return result

    def compare_values(self, op: ast.cmpop, left: Any, right: Any, node: ast.AST) -> Any:
        if tainted(left) and not tainted(right):
            self.collect(right)
        if tainted(right) and not tainted(left):
            self.collect(left)
        if isinstance(op, (ast.Is, ast.IsNot)):
            if isinstance(left, Opaque) or isinstance(right, Opaque):
                if right is None or left is None:
                    known = left if right is None else right
                    if isinstance(known, Opaque):
                        return Opaque("is", known.tainted)
                return Opaque("is", tainted(left) or tainted(right))
            same = left is right or (left is None and right is None)
            return same if isinstance(op, ast.Is) else not same
        symbolic = self.symbolic(op, left, right)
        if symbolic is not None:
            return symbolic
        if isinstance(left, Opaque) or isinstance(right, Opaque):
            return Opaque("cmp", tainted(left) or tainted(right))
        if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (Rec, Inst)):
            return Opaque("in", tainted(left) or tainted(right))
        fn = _CMPOPS.get(type(op))
        if fn is None:
            return Opaque("cmp")
        try:
            return bool(fn(left, right))
        except Exception:
            if isinstance(op, (ast.Eq, ast.NotEq)):
                return isinstance(op, ast.NotEq)
            return Opaque("cmp", tainted(left) or tainted(right))

    def symbolic(self, op: ast.cmpop, left: Any, right: Any) -> bool | None:
        """Label text tested against a value known only at run time (a list read from a file,
        an argument): the value stands for a label of its own, `⟪where it came from⟫`, that
        the probes try like any constant; a decision over it is reported as read at run time."""
        if isinstance(left, LStr) and isinstance(right, Opaque) and not right.tainted:
            if isinstance(op, (ast.Eq, ast.NotEq)):
                symbol = symbol_of(right.why)
                result = str(left).casefold() == symbol.casefold()
            elif isinstance(op, (ast.In, ast.NotIn)):  # the items iteration would give
                symbols = [symbol_of(right.why + "[0]"), symbol_of(right.why + "[1]")]
                self.compared.update(symbols)
                symbol = symbols[0]
                result = str(left).casefold() in {x.casefold() for x in symbols}
            else:
                return None
        elif isinstance(right, LStr) and isinstance(left, Opaque) and not left.tainted:
            if isinstance(op, (ast.Eq, ast.NotEq)):
                symbol = symbol_of(left.why)
                result = str(right).casefold() == symbol.casefold()
            elif isinstance(op, (ast.In, ast.NotIn)):
                symbol = symbol_of(left.why)
                result = symbol.casefold() in str(right).casefold()
            else:
                return None
        elif (isinstance(left, Opaque) and not left.tainted and isinstance(op, (ast.In, ast.NotIn))
              and isinstance(right, (list, tuple, set, frozenset, dict)) and tainted(right)):
            symbol = symbol_of(left.why)  # an unknown word looked up among the labels
            result = any(isinstance(x, str) and x.casefold() == symbol.casefold() for x in right)
        else:
            return None
        self.compared.add(symbol)
        return result if isinstance(op, (ast.Eq, ast.In)) else not result

    def collect(self, value: Any, depth: int = 0) -> None:
        """Constants a label is compared with: the candidates the probes try."""
        if depth > 3:
            return
        if isinstance(value, str) and not isinstance(value, LStr):
            self.compared.add(value)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for v in list(value)[:500]:
                self.collect(v, depth + 1)
        elif isinstance(value, dict):
            for k in list(value)[:500]:
                self.collect(k, depth + 1)
            for v in list(value.values())[:500]:
                if isinstance(v, (list, tuple, set, frozenset)):
                    self.collect(v, depth + 1)

    def comprehension(self, generators: list[ast.comprehension], scope: Scope, emit: Callable[[Scope], None]) -> None:
        inner = Scope({}, scope, scope.globals)

        def loop(i: int) -> None:
            if i == len(generators):
                emit(inner)
                return
            gen = generators[i]
            iterable = self.expr(gen.iter, inner if i else scope)
            for item in self.iterate(iterable):
                self.tick()
                self.assign(gen.target, item, inner)
                ok = True
                for cond in gen.ifs:
                    test = self.expr(cond, inner)
                    if not self.truth(test, cond):
                        ok = False
                        break
                if ok:
                    loop(i + 1)

        loop(0)

    def e_ListComp(self, node: ast.ListComp, scope: Scope) -> Any:
        out: list[Any] = []
        self.comprehension(node.generators, scope, lambda s: out.append(self.expr(node.elt, s)))
        return out

    e_GeneratorExp = e_ListComp

    def e_SetComp(self, node: ast.SetComp, scope: Scope) -> Any:
        out: list[Any] = []
        self.comprehension(node.generators, scope, lambda s: out.append(self.expr(node.elt, s)))
        try:
            return set(out)
        except TypeError:
            return out

    def e_DictComp(self, node: ast.DictComp, scope: Scope) -> Any:
        out: dict[Any, Any] = {}

        def emit(s: Scope) -> None:
            key = self.expr(node.key, s)
            try:
                out[key if not isinstance(key, Opaque) else render(key)] = self.expr(node.value, s)
            except TypeError:
                out[render(key)] = self.expr(node.value, s)

        self.comprehension(node.generators, scope, emit)
        return out

    def e_Starred(self, node: ast.Starred, scope: Scope) -> Any:
        return self.expr(node.value, scope)


class _Bound:
    """A method of plain data, called for real (only the pure ones of SAFE_METHODS)."""

    def __init__(self, interp: Interpreter, obj: Any, name: str) -> None:
        self.interp = interp
        self.obj = obj
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        interp = self.interp
        obj = self.obj
        if any(isinstance(a, Opaque) for a in args) or any(isinstance(v, Opaque) for v in kwargs.values()):
            if self.name in ("append", "add", "insert"):
                getattr(obj, self.name)(*args)
                return None
            if self.name in ("get",) and isinstance(obj, dict) and args and tainted(args[0]):
                interp.collect(list(obj.keys()))
            if self.name == "get" and isinstance(obj, dict) and len(args) > 1 and not isinstance(args[0], Opaque):
                return obj.get(args[0], args[1])
            return Opaque(self.name, tainted(obj) or any(tainted(a) for a in args))
        if _too_big([*args, *kwargs.values()]):
            return Opaque(self.name, tainted(obj))
        method = getattr(obj, self.name)
        interp.note_text_tests(method, list(args))
        py_args = [interp.pyfunc(a) for a in args]
        py_kwargs = {k: interp.pyfunc(v) for k, v in kwargs.items()}
        if self.name in ("join",) and isinstance(obj, str) and args and isinstance(args[0], (list, tuple, set)):
            if not all(isinstance(x, str) for x in args[0]):
                return Opaque("join", tainted(args[0]))
        if self.name == "format" and isinstance(obj, str):
            py_args = ["<S>" if isinstance(a, LNum) else (render(a) if not _plain(a) else a) for a in args]
            py_kwargs = {k: "<S>" if isinstance(v, LNum) else (render(v) if not _plain(v) else v) for k, v in kwargs.items()}
        result = _call_pure(method, py_args, py_kwargs)
        source_taint = tainted(obj) or any(tainted(a) for a in args) or any(tainted(v) for v in kwargs.values())
        if isinstance(obj, (dict, list, tuple, set, frozenset)):
            source_taint = False  # a container's own items keep their own marks
        if isinstance(obj, (list, dict, set)) and self.name in SAFE_METHODS[type(obj)] - {"get", "pop", "copy", "popitem"}:
            return result
        if isinstance(result, bool):
            return result
        if isinstance(obj, str) and isinstance(result, int) and self.name in ("find", "rfind", "count", "index"):
            return result
        return _mark(result, source_taint)


MAX_ITEMS = 10_000
MAX_RECURSION = 2  # calls of one function on the stack with unknown arguments
ENDLESS_ROUNDS = 20  # rounds of an endless loop that makes no SDK call before it is left
_VIEWS: tuple[type, ...] = (type({}.items()), type({}.keys()), type({}.values()))


def _call_pure(fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call a pure builtin or plain-data method for real: an error it raises is the
    application's exception, a lazy result (iterator, dict view) becomes a list."""
    try:
        result: Any = fn(*args, **kwargs)
    except (Stop, _Return, _Break, _Continue, AppRaise):
        raise
    except Exception as exc:
        raise AppRaise(Opaque(type(exc).__name__)) from None
    lazy = isinstance(result, _VIEWS) or (hasattr(result, "__next__") and not isinstance(result, (str, bytes)))
    return list(result) if lazy else result


def _too_big(values: list[Any]) -> bool:
    """An argument that would make a builtin build something huge (`list(range(10**9))`,
    `"x".zfill(10**9)`): the result is left unknown instead."""
    for v in values:
        if isinstance(v, range) and len(v) > MAX_ITEMS:
            return True
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 10 * MAX_ITEMS:
            return True
    return False


def _as_load(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.Name):
        return ast.Name(id=node.id, ctx=ast.Load())
    if isinstance(node, ast.Attribute):
        return ast.Attribute(value=node.value, attr=node.attr, ctx=ast.Load())
    if isinstance(node, ast.Subscript):
        return ast.Subscript(value=node.value, slice=node.slice, ctx=ast.Load())
    return node


def _plain(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, tuple, set, frozenset, dict, bytes)) or value is None


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id not in ("self", "cls"):
        return ".".join([node.id, *reversed(parts)])
    return None


def _ends(body: list[ast.stmt]) -> bool:
    """Does a block end the function or loop early (return, raise, exit, continue)?"""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
        return True
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        name = _dotted(last.value.func) or ""
        return name.split(".")[-1] in ("exit", "abort", "_exit")
    return False


def _reaches(body: list[ast.stmt], interp: Interpreter) -> bool:
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and interp.is_sdk_call(node):
                return True
    return False


def _is_generator(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Yield, ast.YieldFrom)):
            # a yield of a nested function does not count
            return _owner_function(node, sub)
    return False


def _owner_function(func: ast.AST, target: ast.AST) -> bool:
    pending: list[ast.AST] = list(ast.iter_child_nodes(func))
    while pending:
        node = pending.pop()
        if node is target:
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        pending.extend(ast.iter_child_nodes(node))
    return False


def _decorators(node: ast.AST) -> set[str]:
    names = set()
    for d in getattr(node, "decorator_list", []):
        dotted = _dotted(d.func if isinstance(d, ast.Call) else d)
        if dotted:
            names.add(dotted.split(".")[-1])
    return names


def _is_property(node: ast.AST) -> bool:
    return bool(_decorators(node) & {"property", "cached_property"})


def _is_static(node: ast.AST) -> bool:
    return "staticmethod" in _decorators(node)


def _is_classmethod(node: ast.AST) -> bool:
    return "classmethod" in _decorators(node)


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b if abs(b) < 64 else math.inf,
    ast.BitAnd: lambda a, b: a & b,
    ast.BitOr: lambda a, b: a | b,
    ast.BitXor: lambda a, b: a ^ b,
}

_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _print(*args: Any, **kwargs: Any) -> None:  # never called: print is an effect
    return None


_SAFE_NAMES = (
    "len", "str", "int", "float", "bool", "list", "dict", "set", "tuple", "frozenset", "sorted", "reversed",
    "enumerate", "zip", "range", "min", "max", "sum", "any", "all", "map", "filter", "round", "abs", "repr",
    "isinstance", "getattr", "hasattr", "next", "iter", "divmod", "chr", "ord",
)
BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in _SAFE_NAMES}
BUILTINS.update(
    {
        "print": _print, "True": True, "False": False, "None": None,
        "Exception": Opaque("Exception"), "ValueError": Opaque("ValueError"), "KeyError": Opaque("KeyError"),
    }
)
def _copy(value: Any) -> Any:
    """`copy.copy` of the application's data: containers are copied, anything else shared."""
    if isinstance(value, (dict, list, set)):
        return type(value)(value)
    return value


def _deepcopy(value: Any, depth: int = 0) -> Any:
    """`copy.deepcopy` of plain containers; the interpreter's own objects are shared."""
    if depth > 20:
        return value
    if type(value) is dict:
        return {k: _deepcopy(v, depth + 1) for k, v in value.items()}
    if type(value) in (list, tuple, set):
        return type(value)(_deepcopy(v, depth + 1) for v in value)
    return value


# Standard-library modules whose functions only build plain data: run for real.
_DATA_MODULES: dict[str, dict[str, Any]] = {
    "copy": {"copy": _copy, "deepcopy": _deepcopy},
    "collections": {"Counter": collections.Counter, "defaultdict": collections.defaultdict,
                    "OrderedDict": collections.OrderedDict},
}
_SAFE_CALLABLES: set[Any] = {v for v in BUILTINS.values() if callable(v) and not isinstance(v, Opaque)}
_SAFE_CALLABLES |= {f for funcs in _DATA_MODULES.values() for f in funcs.values()}
