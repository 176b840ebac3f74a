"""Constant folding: the value of an expression the application writes, without running it.

Literals, containers, operators, comprehensions over constants and calls of builtins fold to
Python values; anything else folds to `Unknown(reason)` so the caller can report it instead
of guessing. Names and attributes are resolved by `bindings`, which folds the values they
are bound to with `evaluate` in turn: it registers its resolvers here (`resolve_with`), and
`values` is the module that loads both, the one the rest of the analysis imports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from astroid import nodes

from chameleonapi.analysis.constants import (
    RUNTIME_SOURCES,
    EvalContext,
    OSet,
    Ref,
    Unknown,
    bind_target,
    is_unknown,
    loaded_at_run_time,
    runtime_reason,
)

MAX_DEPTH = 12
Resolver = Callable[[Any, EvalContext], Any]
_resolvers: list[tuple[type, Resolver]] = []


def resolve_with(kind: type, resolver: Resolver) -> None:
    """Resolve expressions of node type `kind` (a name, an attribute) with `resolver`."""
    _resolvers.append((kind, resolver))


def _resolve(node: nodes.NodeNG, ctx: EvalContext) -> Any:
    for kind, resolver in _resolvers:
        if isinstance(node, kind):
            return resolver(node, ctx)
    return Unknown(f"no resolver for {type(node).__name__}")


def evaluate(node: nodes.NodeNG | None, ctx: EvalContext) -> Any:
    """The constant value of an expression, or `Unknown(reason)`."""
    if node is None:
        return Unknown("no value")
    if ctx.depth > MAX_DEPTH:
        return Unknown("too deeply nested to resolve")
    ctx.project.deadline.check()
    ctx.depth += 1
    try:
        return _evaluate(node, ctx)
    except RecursionError:
        return Unknown("recursive definition")
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError) as exc:
        # e.g. iterating over a number the code never iterates at run time
        return Unknown(f"cannot evaluate ({type(exc).__name__})")
    finally:
        ctx.depth -= 1


def _evaluate(node: nodes.NodeNG, ctx: EvalContext) -> Any:
    if isinstance(node, nodes.Const):
        if isinstance(node.value, str) and ctx.project.implicit_concat(node):
            file, line = ctx.project.location(node)
            ctx.warnings.append(f"{file}:{line}: adjacent string literals are joined into one label {node.value!r}")
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
    if isinstance(node, (nodes.Name, nodes.Attribute)):
        return _resolve(node, ctx)
    if isinstance(node, nodes.BinOp):
        return _binop(node, ctx)
    if isinstance(node, nodes.Subscript):
        base = evaluate(node.value, ctx)
        index = evaluate(node.slice, ctx) if not isinstance(node.slice, nodes.Slice) else None
        if is_unknown(base):
            return base
        if isinstance(node.slice, nodes.Slice):
            lo = evaluate(node.slice.lower, ctx) if node.slice.lower else None
            hi = evaluate(node.slice.upper, ctx) if node.slice.upper else None
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
    if isinstance(node, nodes.BoolOp):  # ("waste" or "trash") is "waste", as Python has it
        values = [evaluate(v, ctx) for v in node.values]
        for value in values:
            if is_unknown(value):
                return value
        return next((v for v in values if (bool(v) if node.op == "or" else not v)), values[-1])
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


# ---------------------------------------------------------------------- calls
_CONVERSIONS: dict[str, Callable[[Any], Any]] = {
    "list": list, "tuple": tuple, "set": OSet.of, "frozenset": OSet.of, "sorted": sorted, "dict": dict, "str": str,
}
_STR_METHODS = {"lower", "upper", "casefold", "strip", "split", "title", "capitalize", "replace", "join", "format"}


def _call(node: nodes.Call, ctx: EvalContext) -> Any:
    func = node.func
    name = func.attrname if isinstance(func, nodes.Attribute) else getattr(func, "name", None)
    if name in RUNTIME_SOURCES:
        return loaded_at_run_time(name)
    if isinstance(func, nodes.Name) and name in _CONVERSIONS:
        if not node.args:
            return {"list": [], "tuple": (), "set": OSet(), "frozenset": OSet(), "dict": {}, "str": ""}.get(
                name, Unknown("empty call")
            )
        arg = evaluate(node.args[0], ctx)
        if is_unknown(arg):
            return arg
        try:
            return _CONVERSIONS[name](arg)
        except (TypeError, ValueError):
            return Unknown(f"cannot apply {name}")
    if isinstance(func, nodes.Attribute):
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
            if isinstance(base, str) and name in _STR_METHODS:
                if name == "join":
                    return base.join(args[0])
                return getattr(base, name)(*args)
            if isinstance(base, (list, tuple, OSet)) and name in ("copy", "union", "intersection", "difference"):
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
    params = [a.name for a in func.args.args or []]
    consts = dict(zip(params, (evaluate(arg, ctx) for arg in call.args)))
    consts.update({kw.arg: evaluate(kw.value, ctx) for kw in call.keywords or [] if kw.arg})
    sub = EvalContext(ctx.project, {k: v for k, v in consts.items() if not is_unknown(v)}, ctx.warnings, ctx.depth)
    value = evaluate(returns[0].value, sub)
    return runtime_reason(returns[0].value, value) if is_unknown(value) else value


__all__ = ["evaluate", "evaluate_test", "resolve_with"]
