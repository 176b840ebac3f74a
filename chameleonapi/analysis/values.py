"""Resolve the constants an application compares labels against, without running it.

Follows names to their assignments (function-local, module, class attributes through
`self.`, other modules of the app), builds lists by concatenation and comprehension, and
reads call sites for parameters. Anything read at run time (files, environment, databases)
resolves to `Unknown` with the reason, so the caller can report it instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from astroid import nodes

from chameleonapi.analysis.project import Project, top_level

MAX_DEPTH = 12

RUNTIME_SOURCES = {
    "open": "a file",
    "read": "a file",
    "readlines": "a file",
    "read_text": "a file",
    "load": "a file",
    "loads": "serialized data",
    "safe_load": "a YAML file",
    "read_csv": "a CSV file",
    "reader": "a CSV file",
    "DictReader": "a CSV file",
    "getenv": "the environment",
    "environ": "the environment",
    "fetchall": "a database",
    "fetchone": "a database",
    "execute": "a database",
    "query": "a database",
    "input": "user input",
    "get_json": "a request",
    "urlopen": "the network",
}


@dataclass(frozen=True)
class Unknown:
    reason: str

    def __bool__(self) -> bool:
        return False


class OSet(tuple):
    """An ordered set: set semantics, but source order kept so specs are deterministic."""

    @classmethod
    def of(cls, items: Any) -> OSet:
        seen: dict[Any, None] = {}
        for item in items:
            try:
                seen.setdefault(item, None)
            except TypeError:
                continue
        return cls(seen)


@dataclass(frozen=True)
class Ref:
    """A module, class or function of the application, as a value."""

    node: Any


@dataclass
class EvalContext:
    project: Project
    consts: dict[str, Any] = field(default_factory=dict)  # loop/param names bound to values
    warnings: list[str] = field(default_factory=list)
    depth: int = 0


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def evaluate(node: nodes.NodeNG | None, ctx: EvalContext) -> Any:
    """The constant value of an expression, or `Unknown(reason)`."""
    if node is None:
        return Unknown("no value")
    if ctx.depth > MAX_DEPTH:
        return Unknown("too deeply nested to resolve")
    ctx.depth += 1
    try:
        return _evaluate(node, ctx)
    except RecursionError:
        return Unknown("recursive definition")
    finally:
        ctx.depth -= 1


def _evaluate(node: nodes.NodeNG, ctx: EvalContext) -> Any:
    if isinstance(node, nodes.Const):
        if isinstance(node.value, str) and ctx.project.implicit_concat(node):
            file, line = ctx.project.location(node)
            ctx.warnings.append(
                f"{file}:{line}: adjacent string literals are joined into one label {node.value!r}"
            )
        return node.value
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return _sequence(node.elts, ctx, list if isinstance(node, nodes.List) else tuple)
    if isinstance(node, nodes.Set):
        items = _sequence(node.elts, ctx, list)
        return items if is_unknown(items) else OSet.of(items)
    if isinstance(node, nodes.Dict):
        out: dict[Any, Any] = {}
        for key, value in node.items:
            if isinstance(key, nodes.DictUnpack):
                inner = evaluate(value, ctx)
                if is_unknown(inner) or not isinstance(inner, dict):
                    return inner if is_unknown(inner) else Unknown("dict unpacking of a non-dict")
                out.update(inner)
                continue
            k, v = evaluate(key, ctx), evaluate(value, ctx)
            if is_unknown(k):
                return k
            if is_unknown(v):
                return v
            try:
                out[k] = v
            except TypeError:
                return Unknown("unhashable dict key")
        return out
    if isinstance(node, nodes.Name):
        return _name(node, ctx)
    if isinstance(node, nodes.Attribute):
        return _attribute(node, ctx)
    if isinstance(node, nodes.BinOp):
        return _binop(node, ctx)
    if isinstance(node, nodes.Subscript):
        base, index = (
            evaluate(node.value, ctx),
            evaluate(node.slice, ctx) if not isinstance(node.slice, nodes.Slice) else None,
        )
        if is_unknown(base):
            return base
        if isinstance(node.slice, nodes.Slice):
            lo, hi = (
                evaluate(node.slice.lower, ctx) if node.slice.lower else None,
                (evaluate(node.slice.upper, ctx) if node.slice.upper else None),
            )
            if is_unknown(lo) or is_unknown(hi):
                return Unknown("slice bounds are not constant")
            try:
                return base[lo:hi]
            except TypeError:
                return Unknown("cannot slice")
        if is_unknown(index):
            return index
        try:
            return base[index]
        except (KeyError, IndexError, TypeError):
            return Unknown("subscript out of range")
    if isinstance(node, nodes.Call):
        return _call(node, ctx)
    if isinstance(node, (nodes.ListComp, nodes.SetComp, nodes.GeneratorExp, nodes.DictComp)):
        return _comprehension(node, ctx)
    if isinstance(node, nodes.UnaryOp) and node.op == "-":
        value = evaluate(node.operand, ctx)
        return -value if isinstance(value, (int, float)) else Unknown("not a number")
    if isinstance(node, nodes.JoinedStr):
        return Unknown("an f-string built at run time")
    if isinstance(node, nodes.Starred):
        return evaluate(node.value, ctx)
    return Unknown(f"{type(node).__name__} is not a constant")


def _sequence(elts: list[nodes.NodeNG], ctx: EvalContext, kind: type) -> Any:
    out: list[Any] = []
    for elt in elts:
        if isinstance(elt, nodes.Starred):
            inner = evaluate(elt.value, ctx)
            if is_unknown(inner):
                return inner
            out.extend(inner)
            continue
        value = evaluate(elt, ctx)
        if is_unknown(value):
            return value
        out.append(value)
    return kind(out)


def _binop(node: nodes.BinOp, ctx: EvalContext) -> Any:
    left, right = evaluate(node.left, ctx), evaluate(node.right, ctx)
    if is_unknown(left):
        return left
    if is_unknown(right):
        return right
    op = node.op
    try:
        if isinstance(left, OSet) or isinstance(right, OSet):
            lset = OSet.of(left if not isinstance(left, dict) else left.keys())
            rset = OSet.of(right if not isinstance(right, dict) else right.keys())
            if op == "|":
                return OSet.of([*lset, *rset])
            if op == "&":
                return OSet.of(x for x in lset if x in rset)
            if op == "-":
                return OSet.of(x for x in lset if x not in rset)
            return Unknown(f"set operator {op}")
        if op == "+":
            if isinstance(left, tuple) and isinstance(right, list):
                return list(left) + right
            if isinstance(left, list) and isinstance(right, tuple):
                return left + list(right)
            return left + right
        if op == "|" and isinstance(left, dict) and isinstance(right, dict):
            return {**left, **right}
        if op in ("*", "/", "-"):
            return {"*": lambda a, b: a * b, "/": lambda a, b: a / b, "-": lambda a, b: a - b}[op](
                left, right
            )
        if op == "%" and isinstance(left, str):
            return left % right
    except Exception:
        return Unknown(f"cannot apply {op}")
    return Unknown(f"operator {op}")


def _comprehension(node: nodes.NodeNG, ctx: EvalContext) -> Any:
    results: list[Any] = []

    def loop(gens: list[nodes.Comprehension], consts: dict[str, Any]) -> Unknown | None:
        if not gens:
            sub = EvalContext(ctx.project, {**ctx.consts, **consts}, ctx.warnings, ctx.depth)
            if isinstance(node, nodes.DictComp):
                k, v = evaluate(node.key, sub), evaluate(node.value, sub)
                if is_unknown(k) or is_unknown(v):
                    return k if is_unknown(k) else v
                results.append((k, v))
            else:
                v = evaluate(node.elt, sub)
                if is_unknown(v):
                    return v
                results.append(v)
            return None
        gen = gens[0]
        sub = EvalContext(ctx.project, {**ctx.consts, **consts}, ctx.warnings, ctx.depth)
        items = evaluate(gen.iter, sub)
        if is_unknown(items):
            return items
        if isinstance(items, dict):
            items = list(items)
        for item in items:
            bound = bind_target(gen.target, item)
            if bound is None:
                return Unknown("cannot unpack a comprehension target")
            inner = {**consts, **bound}
            keep = True
            for cond in gen.ifs:
                test = evaluate_test(
                    cond, EvalContext(ctx.project, {**ctx.consts, **inner}, ctx.warnings, ctx.depth)
                )
                if is_unknown(test):
                    return test
                keep = keep and bool(test)
            if keep:
                err = loop(gens[1:], inner)
                if err is not None:
                    return err
        return None

    err = loop(list(node.generators), {})
    if err is not None:
        return err
    if isinstance(node, nodes.DictComp):
        return dict(results)
    if isinstance(node, nodes.SetComp):
        return OSet.of(results)
    return results


def evaluate_test(node: nodes.NodeNG, ctx: EvalContext) -> Any:
    """A constant boolean test (used in comprehension filters over constants)."""
    if isinstance(node, nodes.Compare):
        left = evaluate(node.left, ctx)
        if is_unknown(left):
            return left
        for op, right_node in node.ops:
            right = evaluate(right_node, ctx)
            if is_unknown(right):
                return right
            ops = {
                "==": lambda a, b: a == b,
                "!=": lambda a, b: a != b,
                "in": lambda a, b: a in b,
                "not in": lambda a, b: a not in b,
                "<": lambda a, b: a < b,
                ">": lambda a, b: a > b,
                "<=": lambda a, b: a <= b,
                ">=": lambda a, b: a >= b,
            }
            if op not in ops:
                return Unknown(f"comparison {op}")
            try:
                if not ops[op](left, right):
                    return False
            except TypeError:
                return Unknown("incomparable values")
            left = right
        return True
    if isinstance(node, nodes.BoolOp):
        vals = [evaluate_test(v, ctx) for v in node.values]
        for v in vals:
            if is_unknown(v):
                return v
        return all(vals) if node.op == "and" else any(vals)
    if isinstance(node, nodes.UnaryOp) and node.op == "not":
        v = evaluate_test(node.operand, ctx)
        return v if is_unknown(v) else not v
    return evaluate(node, ctx)


def bind_target(target: nodes.NodeNG, value: Any) -> dict[str, Any] | None:
    if isinstance(target, nodes.AssignName):
        return {target.name: value}
    if isinstance(target, (nodes.Tuple, nodes.List)):
        try:
            values = list(value)
        except TypeError:
            return None
        if len(values) != len(target.elts):
            return None
        out: dict[str, Any] = {}
        for sub, val in zip(target.elts, values):
            bound = bind_target(sub, val)
            if bound is None:
                return None
            out.update(bound)
        return out
    return None


# ---------------------------------------------------------------------- names
def _name(node: nodes.Name, ctx: EvalContext) -> Any:
    if node.name in ctx.consts:
        return ctx.consts[node.name]
    if node.name in RUNTIME_SOURCES and node.name == "environ":
        return Unknown("read at run time from the environment")
    try:
        _, assigns = node.lookup(node.name)
    except Exception:
        return Unknown(f"cannot resolve {node.name}")
    if not assigns:
        return Unknown(f"{node.name} is not defined in the application")
    assigns = list(assigns)
    frame = node.frame()
    same = [a for a in assigns if a.frame() is frame and (a.lineno or 0) <= (node.lineno or 0)]
    chosen = (same or assigns)[-1]
    return value_of_binding(chosen, node.name, ctx, use=node)


def value_of_binding(
    binding: nodes.NodeNG, name: str, ctx: EvalContext, use: nodes.NodeNG | None = None
) -> Any:
    """The value a binding node (assignment, import, parameter, def) gives `name`."""
    project = ctx.project
    if isinstance(binding, (nodes.ClassDef, nodes.FunctionDef, nodes.Module)):
        return Ref(binding)
    if isinstance(binding, (nodes.ImportFrom, nodes.Import)):
        target = project.resolve_import(binding, name)
        if target is None:
            mod = binding.modname if isinstance(binding, nodes.ImportFrom) else name
            return Unknown(f"{name} comes from {mod}, outside the application")
        if isinstance(target, (nodes.Assign, nodes.AnnAssign)):
            return _assigned(target, name, ctx, None)
        if isinstance(target, (nodes.ImportFrom, nodes.Import)):
            return value_of_binding(target, name, ctx)
        return Ref(target)
    if isinstance(binding, nodes.AssignName):
        parent = binding.parent
        while isinstance(parent, (nodes.Tuple, nodes.List, nodes.Starred)):
            parent = parent.parent
        if isinstance(parent, (nodes.Assign, nodes.AnnAssign)):
            return _assigned(parent, name, ctx, use)
        if isinstance(parent, nodes.NamedExpr):
            return evaluate(parent.value, ctx)
        if isinstance(parent, nodes.Arguments):
            return parameter_value(parent.parent, name, ctx)
        if isinstance(parent, (nodes.For, nodes.Comprehension)):
            return Unknown(f"{name} is a loop variable")
        if isinstance(parent, nodes.With):
            return Unknown(f"{name} is read at run time (with ... as {name})")
        if isinstance(parent, nodes.AugAssign):
            return Unknown(f"{name} is changed in place")
    return Unknown(f"cannot resolve {name}")


def _assigned(
    stmt: nodes.Assign | nodes.AnnAssign, name: str, ctx: EvalContext, use: nodes.NodeNG | None
) -> Any:
    if stmt.value is None:
        return Unknown(f"{name} is declared without a value")
    targets = stmt.targets if isinstance(stmt, nodes.Assign) else [stmt.target]
    value = evaluate(stmt.value, ctx)
    if is_unknown(value):
        return _runtime_reason(stmt.value, value)
    for target in targets:
        if isinstance(target, nodes.AssignName) and target.name == name:
            return _mutations(stmt, name, value, ctx, use)
        if isinstance(target, (nodes.Tuple, nodes.List)):
            bound = bind_target(target, value)
            if bound and name in bound:
                return bound[name]
    return Unknown(f"cannot unpack {name}")


def _mutations(stmt: nodes.NodeNG, name: str, value: Any, ctx: EvalContext, use: nodes.NodeNG | None) -> Any:
    """Apply `name.append(...)`, `.extend`, `.add`, `.update`, `+=` found after the assignment."""
    frame = stmt.frame()
    end = (use.lineno or 0) if use is not None and use.frame() is frame else 10**9
    body = frame.body if hasattr(frame, "body") else []
    for other in body:
        line = other.lineno or 0
        if line <= (stmt.lineno or 0) or line >= end:
            continue
        if (
            isinstance(other, nodes.AugAssign)
            and isinstance(other.target, nodes.AssignName)
            and other.target.name == name
        ):
            extra = evaluate(other.value, ctx)
            if is_unknown(extra):
                return extra
            try:
                value = value + (type(value)(extra) if not isinstance(extra, type(value)) else extra)
            except TypeError:
                return Unknown(f"{name} is changed in place")
        if not (isinstance(other, nodes.Expr) and isinstance(other.value, nodes.Call)):
            continue
        func = other.value.func
        if not (
            isinstance(func, nodes.Attribute) and isinstance(func.expr, nodes.Name) and func.expr.name == name
        ):
            continue
        args = [evaluate(a, ctx) for a in other.value.args]
        if any(is_unknown(a) for a in args):
            return next(a for a in args if is_unknown(a))
        try:
            if func.attrname == "append" and isinstance(value, list):
                value = [*value, args[0]]
            elif func.attrname == "extend" and isinstance(value, list):
                value = [*value, *args[0]]
            elif func.attrname == "add" and isinstance(value, OSet):
                value = OSet.of([*value, args[0]])
            elif func.attrname == "update" and isinstance(value, (dict, OSet)):
                value = {**value, **dict(args[0])} if isinstance(value, dict) else OSet.of([*value, *args[0]])
            elif func.attrname in ("insert", "remove", "pop", "clear", "discard"):
                return Unknown(f"{name} is changed in place ({func.attrname})")
        except (TypeError, IndexError, ValueError):
            return Unknown(f"{name} is changed in place")
    return value


def _runtime_reason(node: nodes.NodeNG, value: Unknown) -> Unknown:
    """Name the run-time source (file, environment, database) when there is one."""
    for sub in [node, *node.nodes_of_class((nodes.Call, nodes.Attribute, nodes.Name))]:
        name = None
        if isinstance(sub, nodes.Call):
            func = sub.func
            name = func.attrname if isinstance(func, nodes.Attribute) else getattr(func, "name", None)
        elif isinstance(sub, nodes.Attribute):
            name = sub.attrname
        elif isinstance(sub, nodes.Name):
            name = sub.name
        if name in RUNTIME_SOURCES:
            return Unknown(f"labels are loaded at run time from {RUNTIME_SOURCES[name]} ({name})")
    return value


def parameter_value(func: nodes.FunctionDef, name: str, ctx: EvalContext) -> Any:
    """A parameter's value: the same constant at every call site in the app, or its default."""
    args = func.args
    names = [a.name for a in (args.posonlyargs or []) + (args.args or [])]
    kwonly = [a.name for a in args.kwonlyargs or []]
    default = _default(func, name)
    values: list[Any] = []
    for call in call_sites(ctx.project, func):
        offset = 1 if (names and names[0] in ("self", "cls")) or isinstance(call, _CtorCall) else 0
        call_node = call.node if isinstance(call, _CtorCall) else call
        arg_node = None
        for kw in call_node.keywords or []:
            if kw.arg == name:
                arg_node = kw.value
        if arg_node is None and name in names:
            idx = names.index(name) - (
                offset if isinstance(call_node.func, nodes.Attribute) or isinstance(call, _CtorCall) else 0
            )
            if 0 <= idx < len(call_node.args) and not isinstance(call_node.args[idx], nodes.Starred):
                arg_node = call_node.args[idx]
        if arg_node is None and name not in kwonly and name not in names:
            continue
        value = evaluate(arg_node, ctx) if arg_node is not None else default
        values.append(value)
    if not values:
        return default
    for v in values:
        if is_unknown(v):
            return v
    first = values[0]
    if any(v != first for v in values[1:]):
        return Unknown(f"{name} differs between call sites")
    return first


def _default(func: nodes.FunctionDef, name: str) -> Any:
    args = func.args
    positional = (args.posonlyargs or []) + (args.args or [])
    defaults = args.defaults or []
    offset = len(positional) - len(defaults)
    for i, arg in enumerate(positional):
        if arg.name == name and i >= offset:
            return _plain(defaults[i - offset])
    for arg, default in zip(args.kwonlyargs or [], args.kw_defaults or []):
        if arg.name == name and default is not None:
            return _plain(default)
    return Unknown(f"{name} is a parameter with no constant argument")


def _plain(node: nodes.NodeNG) -> Any:
    if isinstance(node, nodes.Const):
        return node.value
    return Unknown("non-literal default")  # resolved by evaluate() at call sites instead


@dataclass(frozen=True)
class _CtorCall:
    node: nodes.Call


def call_sites(project: Project, func: nodes.FunctionDef) -> list[Any]:
    """Calls of `func` in the app, matched by name (and class name for constructors)."""
    target = func.name
    ctor = None
    if target == "__init__" and isinstance(func.parent, nodes.ClassDef):
        ctor = func.parent.name
    found: list[Any] = []
    for module in list(project.modules.values()):
        for call in module.nodes_of_class(nodes.Call):
            fn = call.func
            callee = fn.attrname if isinstance(fn, nodes.Attribute) else getattr(fn, "name", None)
            if ctor and callee == ctor:
                found.append(_CtorCall(call))
            elif callee == target and call.frame() is not func:
                found.append(call)
    return found


# ---------------------------------------------------------------------- attributes
def _attribute(node: nodes.Attribute, ctx: EvalContext) -> Any:
    attr = node.attrname
    if attr == "environ":
        return Unknown("read at run time from the environment")
    expr = node.expr
    if isinstance(expr, nodes.Name) and expr.name in ("self", "cls"):
        cls = _enclosing_class(node)
        if cls is not None:
            return class_attribute(cls, attr, ctx)
    base = evaluate(expr, ctx)
    if isinstance(base, Ref):
        target = base.node
        if isinstance(target, nodes.Module):
            found = top_level(target, attr)
            if found is None:
                return Unknown(f"{target.name}.{attr} is not defined")
            if isinstance(found, (nodes.Assign, nodes.AnnAssign)):
                return _assigned(found, attr, ctx, None)
            return value_of_binding(found, attr, ctx)
        if isinstance(target, nodes.ClassDef):
            return class_attribute(target, attr, ctx)
    if is_unknown(base):
        return base
    return Unknown(f"attribute {attr} of a constant")


def _enclosing_class(node: nodes.NodeNG) -> nodes.ClassDef | None:
    scope = node.scope()
    while scope is not None and not isinstance(scope, nodes.Module):
        if isinstance(scope, nodes.FunctionDef) and isinstance(scope.parent, nodes.ClassDef):
            return scope.parent
        scope = scope.parent.scope() if scope.parent is not None else None
    return None


def class_attribute(cls: nodes.ClassDef, attr: str, ctx: EvalContext) -> Any:
    """A class attribute, or `self.attr = ...` in a method (constructor first), or a base's."""
    for stmt in cls.body:
        if isinstance(stmt, (nodes.Assign, nodes.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, nodes.Assign) else [stmt.target]
            if any(isinstance(t, nodes.AssignName) and t.name == attr for t in targets):
                return _assigned(stmt, attr, ctx, None)
    methods = sorted(
        (m for m in cls.body if isinstance(m, nodes.FunctionDef)), key=lambda m: m.name != "__init__"
    )
    for method in methods:
        for assign in method.nodes_of_class(nodes.AssignAttr):
            if assign.attrname == attr and isinstance(assign.expr, nodes.Name) and assign.expr.name == "self":
                stmt = assign.parent
                if isinstance(stmt, (nodes.Assign, nodes.AnnAssign)) and stmt.value is not None:
                    value = evaluate(stmt.value, ctx)
                    return _runtime_reason(stmt.value, value) if is_unknown(value) else value
    for base in cls.bases:
        ref = evaluate(base, ctx)
        if isinstance(ref, Ref) and isinstance(ref.node, nodes.ClassDef):
            return class_attribute(ref.node, attr, ctx)
    return Unknown(f"{cls.name}.{attr} is not set in the class")


# ---------------------------------------------------------------------- calls
def _call(node: nodes.Call, ctx: EvalContext) -> Any:
    func = node.func
    name = func.attrname if isinstance(func, nodes.Attribute) else getattr(func, "name", None)
    if isinstance(func, nodes.Name) and name in (
        "list",
        "tuple",
        "set",
        "frozenset",
        "sorted",
        "dict",
        "str",
    ):
        if not node.args:
            return {"list": [], "tuple": (), "set": OSet(), "frozenset": OSet(), "dict": {}, "str": ""}.get(
                name, Unknown("empty call")
            )
        arg = evaluate(node.args[0], ctx)
        if is_unknown(arg):
            return arg
        try:
            if name == "list":
                return list(arg)
            if name == "tuple":
                return tuple(arg)
            if name in ("set", "frozenset"):
                return OSet.of(arg)
            if name == "sorted":
                return sorted(arg)
            if name == "dict":
                return dict(arg)
            return str(arg)
        except (TypeError, ValueError):
            return Unknown(f"cannot apply {name}")
    if isinstance(func, nodes.Attribute):
        if name in RUNTIME_SOURCES:
            return Unknown(f"labels are loaded at run time from {RUNTIME_SOURCES[name]} ({name})")
        base = evaluate(func.expr, ctx)
        if isinstance(base, Ref):
            return _call_app_function(base, node, ctx)
        if is_unknown(base):
            return base
        args = [evaluate(a, ctx) for a in node.args]
        for a in args:
            if is_unknown(a):
                return a
        try:
            if isinstance(base, dict) and name in ("keys", "values", "items", "get", "copy"):
                if name == "keys":
                    return list(base.keys())
                if name == "values":
                    return list(base.values())
                if name == "items":
                    return list(base.items())
                if name == "get":
                    return base.get(*args)
                return dict(base)
            if isinstance(base, str) and name in (
                "lower",
                "upper",
                "casefold",
                "strip",
                "split",
                "title",
                "capitalize",
                "replace",
                "join",
                "format",
            ):
                if name == "join":
                    return base.join(args[0])
                return getattr(base, name)(*args)
            if isinstance(base, (list, tuple, OSet)) and name in (
                "copy",
                "union",
                "intersection",
                "difference",
            ):
                if name == "copy":
                    return base
                other = OSet.of(args[0]) if args else OSet()
                if name == "union":
                    return OSet.of([*base, *other])
                if name == "intersection":
                    return OSet.of(x for x in base if x in other)
                return OSet.of(x for x in base if x not in other)
        except Exception:
            return Unknown(f"cannot apply {name}")
        return Unknown(f"result of {name}() is not a constant")
    if name in RUNTIME_SOURCES:
        return Unknown(f"labels are loaded at run time from {RUNTIME_SOURCES[name]} ({name})")
    ref = evaluate(func, ctx) if isinstance(func, nodes.Name) else None
    if isinstance(ref, Ref):
        return _call_app_function(ref, node, ctx)
    return Unknown(f"result of {name or 'a call'}() is not a constant")


def _call_app_function(ref: Ref, call: nodes.Call, ctx: EvalContext) -> Any:
    """The constant an app function returns when it has one return of a constant expression."""
    func = ref.node
    if not isinstance(func, nodes.FunctionDef):
        return Unknown("calls a class")
    returns = [r for r in func.nodes_of_class(nodes.Return) if r.frame() is func and r.value is not None]
    if len(returns) != 1:
        return Unknown(f"{func.name}() has no single constant return")
    consts: dict[str, Any] = {}
    params = [a.name for a in func.args.args or []]
    for i, arg in enumerate(call.args):
        if i < len(params):
            consts[params[i]] = evaluate(arg, ctx)
    for kw in call.keywords or []:
        if kw.arg:
            consts[kw.arg] = evaluate(kw.value, ctx)
    sub = EvalContext(
        ctx.project, {k: v for k, v in consts.items() if not is_unknown(v)}, ctx.warnings, ctx.depth
    )
    value = evaluate(returns[0].value, sub)
    return _runtime_reason(returns[0].value, value) if is_unknown(value) else value
