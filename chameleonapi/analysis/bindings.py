"""Resolve the names an application compares labels against to what they are bound to.

Follows names to their assignments (function-local, module, class attributes through
`self.`, other modules of the app), applies in-place changes (`.append`, `+=`) made before
the use, and reads call sites for parameters. Values read at run time (files, environment,
databases) become `Unknown` naming their source.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from astroid import nodes

from chameleonapi.analysis.constants import (
    EvalContext,
    OSet,
    Ref,
    Unknown,
    bind_target,
    is_unknown,
    loaded_at_run_time,
    runtime_reason,
)
from chameleonapi.analysis.folding import evaluate
from chameleonapi.analysis.live import MISSING
from chameleonapi.analysis.project import Project, top_level


# ---------------------------------------------------------------------- names
def name_value(node: nodes.Name, ctx: EvalContext) -> Any:
    if node.name in ctx.consts:
        return ctx.consts[node.name]
    ctx.project.deadline.check()
    if node.name == "environ":
        return Unknown("read at run time from the environment")
    try:
        _, assigns = node.lookup(node.name)
    except Exception:
        return Unknown(f"cannot resolve {node.name}")
    if not assigns:
        star = _star_binding(node, ctx)
        if star is not None:
            return star
        return Unknown(f"{node.name} is not defined in the application")
    assigns = list(assigns)
    frame = node.frame()
    same = [a for a in assigns if a.frame() is frame and (a.lineno or 0) <= (node.lineno or 0)]
    chosen = (same or assigns)[-1]
    value = value_of_binding(chosen, node.name, ctx, use=node)
    if is_unknown(value) and ctx.project.live is not None:
        found = live_value(ctx.project, chosen, node.name)
        if found is not MISSING:
            return found
    return value


def live_value(project: Project, binding: nodes.NodeNG, dotted: str) -> Any:
    """What the running program holds for a name the static reading cannot resolve: a global
    of the calling module, or a local of the calling function (plain data only; see `live`)."""
    live = project.live
    scope = binding.scope()
    root = binding.root()
    if live is None or not live.active or not _same_file(root.file, live.file):
        return MISSING
    if isinstance(scope, nodes.Module):
        return live.value(dotted)
    if (
        isinstance(scope, nodes.FunctionDef)
        and scope.name == live.function
        and (scope.fromlineno or 0) <= live.line <= (scope.tolineno or 0)
    ):
        return live.value(dotted, local=True)
    return MISSING


def _same_file(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and bool(a and b) and os.path.realpath(a) == os.path.realpath(b)


def _star_binding(node: nodes.Name, ctx: EvalContext) -> Any:
    """A name that comes from `from <app module> import *`."""
    for stmt in node.root().body:
        if isinstance(stmt, nodes.ImportFrom) and any(orig == "*" for orig, _ in stmt.names):
            if ctx.project.resolve_import(stmt, node.name) is not None:
                return value_of_binding(stmt, node.name, ctx)
    return None


def value_of_binding(binding: nodes.NodeNG, name: str, ctx: EvalContext, use: nodes.NodeNG | None = None) -> Any:
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


def _assigned(stmt: nodes.Assign | nodes.AnnAssign, name: str, ctx: EvalContext, use: nodes.NodeNG | None) -> Any:
    if stmt.value is None:
        return Unknown(f"{name} is declared without a value")
    targets = stmt.targets if isinstance(stmt, nodes.Assign) else [stmt.target]
    value = evaluate(stmt.value, ctx)
    if is_unknown(value):
        return runtime_reason(stmt.value, value)
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
        target = other.target if isinstance(other, nodes.AugAssign) else None
        if isinstance(target, nodes.AssignName) and target.name == name:
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
        if not (isinstance(func, nodes.Attribute) and isinstance(func.expr, nodes.Name) and func.expr.name == name):
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


def parameter_value(func: nodes.FunctionDef, name: str, ctx: EvalContext) -> Any:
    """A parameter's value: the same constant at every call site in the app, or its default
    (worked out once per analysis: call sites that pass parameters on would repeat it)."""
    memo = ctx.project.params
    key = (id(func), name)
    if key not in memo:
        memo[key] = Unknown(f"{name} is defined in terms of itself")  # recursion guard
        memo[key] = _parameter_value(func, name, ctx)
    return memo[key]


def _parameter_value(func: nodes.FunctionDef, name: str, ctx: EvalContext) -> Any:
    args = func.args
    names = [a.name for a in (args.posonlyargs or []) + (args.args or [])]
    kwonly = [a.name for a in args.kwonlyargs or []]
    default = _default(func, name, ctx)
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


def _default(func: nodes.FunctionDef, name: str, ctx: EvalContext) -> Any:
    args = func.args
    positional = (args.posonlyargs or []) + (args.args or [])
    defaults = args.defaults or []
    offset = len(positional) - len(defaults)
    for i, arg in enumerate(positional):
        if arg.name == name and i >= offset:
            return _plain(defaults[i - offset], ctx)
    for arg, default in zip(args.kwonlyargs or [], args.kw_defaults or []):
        if arg.name == name and default is not None:
            return _plain(default, ctx)
    return Unknown(f"{name} is a parameter with no constant argument")


def _plain(node: nodes.NodeNG, ctx: EvalContext) -> Any:
    """A default value: a literal, or a constant of the app (`pests=DEFAULT_PESTS`)."""
    if isinstance(node, nodes.Const):
        return node.value
    value = evaluate(node, replace(ctx, consts={}))
    return value if not is_unknown(value) else Unknown("non-literal default")


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
    if ctor:
        found.extend(_CtorCall(call) for call in project.calls_named(ctor))
    else:
        found.extend(call for call in project.calls_named(target) if call.frame() is not func)
    return found


# ---------------------------------------------------------------------- attributes
def attribute_value(node: nodes.Attribute, ctx: EvalContext) -> Any:
    attr = node.attrname
    if attr == "environ":
        return Unknown("read at run time from the environment")
    if attr == "argv":
        return loaded_at_run_time(attr)
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
        dotted = _dotted(node)
        if dotted is not None and ctx.project.live is not None:
            try:
                _, assigns = _head(node).lookup(dotted.split(".")[0])
            except Exception:
                assigns = []
            if assigns:
                found = live_value(ctx.project, list(assigns)[-1], dotted)
                if found is not MISSING:
                    return found
        return base
    return Unknown(f"attribute {attr} of a constant")


def _dotted(node: nodes.NodeNG) -> str | None:
    """`settings.labels.allowed` as a dotted name, when it is names all the way down."""
    parts = []
    while isinstance(node, nodes.Attribute):
        parts.append(node.attrname)
        node = node.expr
    if not isinstance(node, nodes.Name):
        return None
    return ".".join([node.name, *reversed(parts)])


def _head(node: nodes.NodeNG) -> nodes.NodeNG:
    while isinstance(node, nodes.Attribute):
        node = node.expr
    return node


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
                    return runtime_reason(stmt.value, value) if is_unknown(value) else value
    for base in cls.bases:
        ref = evaluate(base, ctx)
        if isinstance(ref, Ref) and isinstance(ref.node, nodes.ClassDef):
            return class_attribute(ref.node, attr, ctx)
    return Unknown(f"{cls.name}.{attr} is not set in the class")


__all__ = [
    "attribute_value",
    "call_sites",
    "class_attribute",
    "name_value",
    "parameter_value",
    "runtime_reason",
    "value_of_binding",
]
