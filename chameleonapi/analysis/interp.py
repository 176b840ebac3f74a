"""Follow an API response through an application's code to the tests that decide.

A small abstract interpreter over the syntax: it walks each function's statements in
order, tracks which names hold the response, its labels, a label's text or score (`AV`),
turns comparisons into label tests (`Cond`) and records what each guarded branch does
(`Rule`). Calls into the application's own functions are followed with the arguments bound,
so helpers in other modules, label lists passed as arguments and predicates are covered.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from astroid import nodes

from chameleonapi.analysis import model as m
from chameleonapi.analysis.model import AV, Cond, Effect, Outcome, Rule, Site
from chameleonapi.analysis.project import Project
from chameleonapi.analysis.regex import translate
from chameleonapi.analysis.sdk import site_of
from chameleonapi.analysis.values import (
    EvalContext,
    OSet,
    Ref,
    Unknown,
    class_attribute,
    evaluate,
    is_unknown,
)

TEXT_ATTRS = {"description", "name", "object_property", "Name"}
SCORE_ATTRS = {"score", "confidence", "topicality", "Confidence"}
LIST_ATTRS = {"label_annotations", "localized_object_annotations", "tags", "objects", "categories", "Labels"}
FOLD_METHODS = {"lower", "upper", "casefold", "title", "capitalize"}
KEEP_METHODS = {"strip", "rstrip", "lstrip"}
MAX_CALL_DEPTH = 6
MAX_UNROLL = 256

Value = AV | Cond | None


@dataclass
class FuncResult:
    returns: list[Value] = field(default_factory=list)
    return_nodes: list[nodes.Return] = field(default_factory=list)


@dataclass
class Decision:
    """The rules found in one function (called with one set of bound arguments)."""

    func: nodes.NodeNG
    name: str
    rules: list[Rule]
    flag_names: dict[str, str]
    key: tuple


@dataclass(frozen=True)
class State:
    guards: tuple[Cond, ...] = ()
    chain: tuple[int, int] | None = None
    unroll: tuple[int, int] | None = None
    loops: tuple[int, ...] = ()


class Analyzer:
    """Shared across one analysis run: memoized calls, collected decisions."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.decisions: list[Decision] = []
        self.memo: dict[tuple, FuncResult] = {}
        self.consumed: set[tuple] = set()
        self.sites: dict[int, Site | None] = {}
        self.ids = itertools.count(1)
        self.depth = 0

    def site(self, call: nodes.Call) -> Site | None:
        key = id(call)
        if key not in self.sites:
            self.sites[key] = site_of(self.project, call)
        return self.sites[key]

    def run_function(
        self, func: nodes.NodeNG, env: dict[str, Value] | None = None, consts: dict[str, Any] | None = None
    ) -> FuncResult:
        env, consts = env or {}, consts or {}
        key = (
            id(func),
            tuple(sorted((k, repr(v)) for k, v in env.items())),
            repr(sorted(consts.items(), key=str)),
        )
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = FuncResult()  # recursion guard
        if self.depth > MAX_CALL_DEPTH:
            return self.memo[key]
        self.depth += 1
        try:
            walker = Walker(self, func, dict(env), dict(consts), key)
            result = walker.run()
        finally:
            self.depth -= 1
        self.memo[key] = result
        return result


class Walker:
    def __init__(
        self, an: Analyzer, func: nodes.NodeNG, env: dict[str, Value], consts: dict[str, Any], key: tuple
    ):
        self.an = an
        self.func = func
        self.env = env
        self.consts = consts
        self.key = key
        self.rules: list[Rule] = []
        self.result = FuncResult()
        self.seq = itertools.count()

    # ------------------------------------------------------------------ driver
    def run(self) -> FuncResult:
        body = self.func.body if isinstance(self.func, (nodes.FunctionDef, nodes.Module)) else []
        self.walk(body, State())
        name = self.func.name if isinstance(self.func, nodes.FunctionDef) else "match"
        for ret, value in zip(self.result.return_nodes, self.result.returns):
            self._final_return(ret, value)
            self._dict_flags(ret)
        if self.rules:
            flags = self._flag_names()
            self.an.decisions.append(Decision(self.func, name, self.rules, flags, self.key))
        return self.result

    def _final_return(self, ret: nodes.Return, value: Value) -> None:
        """An unguarded `return <test>` or `return <search result>` is itself a decision."""
        line = m.loc(ret)
        if isinstance(value, Cond) and value.scope == "any":
            self._add_rule(
                value, Effect("return", "", Outcome("const", True), True, line), State(), final=True
            )
        elif isinstance(value, AV) and value.kind in (m.MATCH, m.MAPPED) and value.cond is not None:
            many = value.many
            if not many and value.loop is not None:
                value = replace(value, cond=replace(value.cond, scope="label", loop=value.loop))
            outcome = Outcome("map", value.cond.mapping) if value.cond.mapping else Outcome("label")
            kind = "add" if many else "return"
            self._add_rule(value.cond, Effect(kind, "", outcome, not many, line), State(), final=True)

    def _dict_flags(self, ret: nodes.Return) -> None:
        """`return {"indoor": "indoor" in names, ...}`: each test is one selected category."""
        if not isinstance(ret.value, (nodes.Dict, nodes.Tuple)):
            return
        items = ret.value.items if isinstance(ret.value, nodes.Dict) else [(None, e) for e in ret.value.elts]
        for key, value_node in items:
            name = self.const(key) if key is not None else _name(value_node)
            value = self.ev(value_node)
            cond = self.truthy(value)
            if cond is not None and not cond.negated and cond.scope == "any" and isinstance(name, str):
                self._add_rule(
                    cond, Effect("add", "", Outcome("const", name), False, m.loc(ret)), State(), final=True
                )

    def _flag_names(self) -> dict[str, str]:
        """`return {"cat": has_cat, ...}` names the flags the way the app reports them."""
        names: dict[str, str] = {}
        for ret in self.result.return_nodes:
            if isinstance(ret.value, nodes.Dict):
                for k, v in ret.value.items:
                    if isinstance(k, nodes.Const) and isinstance(k.value, str) and isinstance(v, nodes.Name):
                        names[v.name] = k.value
        return names

    def ectx(self) -> EvalContext:
        return EvalContext(self.an.project, dict(self.consts))

    def const(self, node: nodes.NodeNG | None) -> Any:
        if node is None:
            return Unknown("no value")
        return evaluate(node, self.ectx())

    # ------------------------------------------------------------------ statements
    def walk(self, stmts: list[nodes.NodeNG], st: State) -> None:
        for i, stmt in enumerate(stmts):
            new_guard = self.stmt(stmt, st)
            if new_guard is not None:  # `if not <test>: continue/return` guards what follows
                self.walk(stmts[i + 1 :], replace(st, guards=st.guards + (new_guard,)))
                return

    def stmt(self, node: nodes.NodeNG, st: State) -> Cond | None:
        if isinstance(node, (nodes.Assign, nodes.AnnAssign)):
            self.assign(node, st)
        elif isinstance(node, nodes.AugAssign):
            if self.decisive(st) and isinstance(node.target, nodes.AssignName):
                self.effect(Effect("set", node.target.name, Outcome("const", True), False, m.loc(node)), st)
        elif isinstance(node, nodes.Expr):
            self.expr_stmt(node, st)
        elif isinstance(node, nodes.Return):
            self.ret(node, st)
        elif isinstance(node, nodes.If):
            return self.if_stmt(node, st)
        elif isinstance(node, (nodes.For, nodes.AsyncFor)):
            self.for_stmt(node, st)
        elif isinstance(node, nodes.While):
            self.walk(node.body, st)
            self.walk(node.orelse, st)
        elif isinstance(node, (nodes.With, nodes.AsyncWith)):
            for item, alias in node.items:
                value = self.ev(item)
                if isinstance(alias, nodes.AssignName) and value is not None:
                    self.env[alias.name] = value
            self.walk(node.body, st)
        elif isinstance(node, nodes.Try):
            self.walk(node.body, st)
            for handler in node.handlers:
                self.walk(handler.body, st)
            self.walk(node.orelse, st)
            self.walk(node.finalbody, st)
        elif hasattr(nodes, "TryStar") and isinstance(node, nodes.TryStar):
            self.walk(node.body, st)
        return None

    def decisive(self, st: State) -> bool:
        return any(g.scope in ("label", "any") and not g.negated for g in st.guards)

    def assign(self, node: nodes.Assign | nodes.AnnAssign, st: State) -> None:
        targets = node.targets if isinstance(node, nodes.Assign) else [node.target]
        value = self.ev(node.value) if node.value is not None else None
        for target in targets:
            if isinstance(target, nodes.AssignName):
                if value is not None:
                    self.env[target.name] = value
                else:
                    self.env.pop(target.name, None)
                if self.decisive(st):
                    self.effect(Effect("set", target.name, self.outcome(node.value), False, m.loc(node)), st)
            elif isinstance(target, nodes.Subscript) and self.decisive(st):
                key = self.outcome(target.slice)
                if key.kind == "const" and isinstance(target.value, nodes.Name):
                    val = self.const(node.value) if node.value is not None else None
                    if val is False or val is None or val == 0:
                        continue
                self.effect(Effect("add", _name(target.value), key, False, m.loc(node)), st)
            elif isinstance(target, (nodes.Tuple, nodes.List)):
                for elt in target.elts:
                    if isinstance(elt, nodes.AssignName):
                        self.env.pop(elt.name, None)

    def expr_stmt(self, node: nodes.Expr, st: State) -> None:
        call = node.value
        if not isinstance(call, nodes.Call):
            self.ev(call)
            return
        func = call.func
        if isinstance(func, nodes.Attribute) and func.attrname in (
            "append",
            "add",
            "extend",
            "update",
            "insert",
        ):
            if self.decisive(st) and call.args:
                arg = call.args[-1]
                self.effect(Effect("add", _name(func.expr), self.outcome(arg), False, m.loc(node)), st)
                return
        value = self.ev(call)
        if self.decisive(st) and value is None:
            fname = func.attrname if isinstance(func, nodes.Attribute) else getattr(func, "name", "call")
            if fname in ("print", "debug", "info", "warning", "log") and not call.args:
                return
            outcome = Outcome("const", fname)
            for arg in call.args:
                o = self.outcome(arg)
                if o.kind in ("label", "map") or (o.kind == "const" and isinstance(o.value, str)):
                    outcome = o
                    break
            self.effect(Effect("call", fname, outcome, False, m.loc(node)), st)

    def ret(self, node: nodes.Return, st: State) -> None:
        if self.decisive(st):
            self.effect(Effect("return", "", self.outcome(node.value), True, m.loc(node)), st)
            return
        if st.guards or st.loops:
            # a return in a loop or under a score test only: not a decision by itself
            value = self.ev(node.value) if node.value is not None else None
            if not st.loops and not st.guards:
                self.result.returns.append(value)
                self.result.return_nodes.append(node)
            return
        value = self.ev(node.value) if node.value is not None else None
        self.result.returns.append(value)
        self.result.return_nodes.append(node)

    def effect(self, effect: Effect, st: State) -> None:
        conds = [g for g in st.guards if g.scope in ("label", "any") and not g.negated]
        cond = conds[-1]
        reasons = list(cond.reasons)
        if len(conds) > 1:
            distinct = {(c.labels, c.scope, c.loop) for c in conds}
            if len(distinct) > 1:
                outer = [c for c in conds[:-1] if c.labels is not None]
                if outer:
                    reasons.append("nested label tests are reduced to the innermost one")
        threshold = cond.threshold
        for g in st.guards:
            if g.scope == "score" and not g.negated and (g.loop == cond.loop or cond.scope == "any"):
                threshold = g.threshold if threshold is None else max(threshold, g.threshold or 0)
            if g.scope in ("label", "any") and g is not cond and g.threshold is not None:
                threshold = g.threshold if threshold is None else max(threshold, g.threshold)
        cond = replace(cond, threshold=threshold, reasons=tuple(reasons))
        self._add_rule(cond, effect, st)

    def _add_rule(self, cond: Cond, effect: Effect, st: State, final: bool = False) -> None:
        file = self.func.root().file or "<string>"
        self.rules.append(
            Rule(cond, effect, st.chain, next(self.seq) + (10**6 if final else 0), st.unroll, file)
        )

    def if_stmt(self, node: nodes.If, st: State, chain: tuple[int, int] | None = None) -> Cond | None:
        cond = self.cond(node.test)
        if cond is None:
            self.walk(node.body, st)
            self.walk(node.orelse, st)
            return None
        if cond.negated:
            if _ends(node.body):
                return replace(cond, negated=False)  # what follows runs only when the test holds
            self.walk(node.body, st)
            self.walk(node.orelse, replace(st, guards=st.guards + (replace(cond, negated=False),)))
            return None
        if cond.scope == "score":
            start = len(self.rules)
            self.walk(node.body, replace(st, guards=st.guards + (cond,)))
            self._terminate(start, node.body)
            self.walk(node.orelse, st)
            return None
        chain = chain or (next(self.an.ids), 0)
        start = len(self.rules)
        self.walk(node.body, replace(st, guards=st.guards + (cond,), chain=chain))
        self._terminate(start, node.body)
        orelse = node.orelse
        if len(orelse) == 1 and isinstance(orelse[0], nodes.If):
            return self.if_stmt(orelse[0], st, (chain[0], chain[1] + 1))
        self.walk(orelse, replace(st, chain=(chain[0], chain[1] + 1)))
        return None

    def _terminate(self, start: int, body: list[nodes.NodeNG]) -> None:
        if any(isinstance(s, (nodes.Break, nodes.Return, nodes.Raise)) for s in body):
            for rule in self.rules[start:]:
                rule.effect = replace(rule.effect, terminates=True)

    def for_stmt(self, node: nodes.For, st: State) -> None:
        iterable = self.ev(node.iter)
        target = node.target
        if isinstance(iterable, AV) and iterable.kind in (m.LABELS, m.TEXTS, m.RESPS, "enum"):
            loop = next(self.an.ids)
            self.bind_loop(target, iterable, loop)
            self.walk(node.body, replace(st, loops=st.loops + (loop,)))
            self.walk(node.orelse, st)
            return
        if self._mentions_tracked(node):
            items = self.const(node.iter)
            if not is_unknown(items):
                if isinstance(items, dict):
                    items = list(items)
                try:
                    items = list(items)[:MAX_UNROLL]
                except TypeError:
                    items = None
                if items is not None:
                    uid = next(self.an.ids)
                    saved = dict(self.consts)
                    for i, item in enumerate(items):
                        from chameleonapi.analysis.values import bind_target

                        bound = bind_target(target, item)
                        if bound is None:
                            break
                        self.consts.update(bound)
                        for name in bound:
                            self.env.pop(name, None)
                        start = len(self.rules)
                        self.walk(node.body, replace(st, unroll=(uid, i)))
                        if self._breaks(node.body):
                            for rule in self.rules[start:]:
                                rule.effect = replace(rule.effect, terminates=True)
                    self.consts = saved
                    return
        self.walk(node.body, st)
        self.walk(node.orelse, st)

    def _breaks(self, body: list[nodes.NodeNG]) -> bool:
        return any(isinstance(n, (nodes.Break, nodes.Return)) for s in body for n in _walk_same_loop(s))

    def _mentions_tracked(self, node: nodes.For) -> bool:
        tracked = {k for k, v in self.env.items() if v is not None}
        return any(isinstance(n, nodes.Name) and n.name in tracked for n in node.nodes_of_class(nodes.Name))

    def bind_loop(self, target: nodes.NodeNG, iterable: AV, loop: int) -> None:
        if iterable.kind == "enum":
            if isinstance(target, (nodes.Tuple, nodes.List)) and len(target.elts) == 2:
                self.bind_loop(
                    target.elts[1],
                    replace(
                        iterable, kind=iterable.mapping[0][1] if iterable.mapping else m.LABELS, mapping=None
                    ),
                    loop,
                )
            return
        if iterable.kind == m.LABELS and iterable.mapping and isinstance(target, (nodes.Tuple, nodes.List)):
            # pairs such as [(l.description, l.score) for l in labels]
            for elt, kind in zip(target.elts, (k for _, k in iterable.mapping)):
                if isinstance(elt, nodes.AssignName):
                    self.env[elt.name] = replace(iterable, kind=kind, loop=loop, mapping=None)
            return
        kind = {m.LABELS: m.LABEL, m.TEXTS: m.TEXT, m.RESPS: m.RESP}[iterable.kind]
        if isinstance(target, nodes.AssignName):
            self.env[target.name] = replace(iterable, kind=kind, loop=loop if kind != m.RESP else None)

    # ------------------------------------------------------------------ outcomes
    def outcome(self, node: nodes.NodeNG | None) -> Outcome:
        if node is None:
            return Outcome("const", None)
        value = self.ev(node)
        if isinstance(value, AV):
            if value.kind in (m.TEXT, m.LABEL, m.MATCH):
                return Outcome("label")
            if value.kind == m.MAPPED and value.mapping is not None:
                return Outcome("map", value.mapping)
        if isinstance(value, Cond):
            return Outcome("unknown", "a test result")
        const = self.const(node)
        if not is_unknown(const):
            if isinstance(const, (str, bool, int, float)) or const is None:
                return Outcome("const", const)
            return Outcome("const", repr(const))
        if isinstance(node, nodes.Name):
            return Outcome("const", node.name)
        return Outcome("unknown", const.reason)

    # ------------------------------------------------------------------ expressions
    def ev(self, node: nodes.NodeNG | None) -> Value:
        if node is None:
            return None
        if isinstance(node, nodes.Name):
            return self.env.get(node.name)
        if isinstance(node, nodes.Call):
            return self.ev_call(node)
        if isinstance(node, nodes.Attribute):
            base = self.ev(node.expr)
            if isinstance(base, AV):
                return _attr(base, node.attrname)
            return None
        if isinstance(node, nodes.Subscript):
            return self.ev_subscript(node)
        if isinstance(node, (nodes.ListComp, nodes.SetComp, nodes.GeneratorExp)):
            return self.ev_comp(node)
        if isinstance(node, nodes.DictComp):
            return self.ev_dictcomp(node)
        if isinstance(node, (nodes.Compare, nodes.BoolOp, nodes.UnaryOp)):
            return self.cond(node)
        if isinstance(node, nodes.NamedExpr):
            value = self.ev(node.value)
            if value is not None:
                self.env[node.target.name] = value
            return value
        if isinstance(node, nodes.Await):
            return self.ev(node.value)
        if isinstance(node, nodes.BinOp) and node.op == "&":
            left, right = self.ev(node.left), self.ev(node.right)
            if isinstance(left, AV) and left.kind == m.TEXTS and right is None:
                return self._set_test(left, node.right, node)
            if isinstance(right, AV) and right.kind == m.TEXTS and left is None:
                return self._set_test(right, node.left, node)
        return None

    def ev_subscript(self, node: nodes.Subscript) -> Value:
        base = self.ev(node.value)
        if not isinstance(base, AV):
            # MAP[label_text]
            if isinstance(self.ev(node.slice), AV):
                return self._mapped(node.value, self.ev(node.slice))
            return None
        sl = node.slice
        if isinstance(sl, nodes.Slice):
            if base.kind in (m.LABELS, m.TEXTS, m.RESPS) and sl.lower is None and sl.step is None:
                k = self.const(sl.upper)
                if isinstance(k, int) and not isinstance(k, bool) and k >= 0:
                    return base.with_top_k(k)
            return None
        key = self.const(sl)
        if base.kind == m.RESP and key in LIST_ATTRS:
            return base.narrowed(m.LABELS)
        if base.kind == m.LABEL:
            return _attr(base, key) if isinstance(key, str) else None
        if base.kind in (m.LABELS, m.TEXTS) and key == 0:
            return base.narrowed(m.LABEL if base.kind == m.LABELS else m.TEXT, loop=None).with_top_k(1)
        if base.kind == m.RESPS and isinstance(key, int):
            return base.narrowed(m.RESP)
        if base.kind == m.SCOREMAP and isinstance(key, str):
            return _score_lookup(base, key, node)
        return None

    def _mapped(self, map_node: nodes.NodeNG, text: Value) -> Value:
        if not (isinstance(text, AV) and text.kind == m.TEXT):
            return None
        mapping = self.const(map_node)
        if not isinstance(mapping, dict):
            return None
        pairs = tuple((k, v) for k, v in mapping.items() if isinstance(k, str))
        return text.narrowed(m.MAPPED, mapping=pairs)

    def ev_call(self, node: nodes.Call) -> Value:
        site = self.an.site(node)
        if site is not None:
            return AV(m.RESPS if site.method == "batch_annotate_images" else m.RESP, site)
        func = node.func
        if isinstance(func, nodes.Attribute):
            return self.ev_method(node, func)
        if isinstance(func, nodes.Name):
            name = func.name
            args = node.args
            if name in ("any", "bool") and args:
                return self.truth(args[0])
            if name == "next" and args:
                return self.ev_next(args[0])
            if name == "len" and args:
                value = self.ev(args[0])
                return value if isinstance(value, AV) and value.kind == m.MATCH else None
            if name in ("list", "tuple", "sorted", "iter", "set", "frozenset") and args:
                value = self.ev(args[0])
                if isinstance(value, AV) and name == "sorted" and value.kind in (m.LABELS, m.TEXTS):
                    return (
                        value
                        if any(kw.arg == "key" for kw in node.keywords or [])
                        else value.narrowed(m.TEXTS if value.kind == m.TEXTS else value.kind)
                    )
                return value
            if name == "str" and args:
                value = self.ev(args[0])
                if isinstance(value, AV):
                    if value.kind in (m.TEXT,):
                        return value
                    if value.kind in (m.LABELS, m.TEXTS, m.RESP, m.BLOB):
                        return value.narrowed(m.BLOB)
                return None
            if name == "enumerate" and args:
                value = self.ev(args[0])
                if isinstance(value, AV) and value.kind in (m.LABELS, m.TEXTS):
                    return value.narrowed("enum", mapping=(("", value.kind),))
                return None
            if name == "map" and len(args) == 2:
                return self.ev_map(args[0], args[1])
            if name == "filter":
                return None
        return self.ev_app_call(node)

    def ev_method(self, node: nodes.Call, func: nodes.Attribute) -> Value:
        name = func.attrname
        if (
            isinstance(func.expr, nodes.Name)
            and func.expr.name == "re"
            and name in ("search", "match", "fullmatch", "findall")
        ):
            return self.regex(node, name)
        base = self.ev(func.expr)
        if isinstance(base, AV):
            if base.kind == m.TEXT and name in FOLD_METHODS:
                return replace(base, folded=True)
            if base.kind in (m.TEXT, m.BLOB) and name in KEEP_METHODS:
                return base
            if base.kind == m.BLOB and name in FOLD_METHODS:
                return replace(base, folded=True)
            if base.kind in (m.RESP, m.LABEL) and name == "get" and node.args:
                key = self.const(node.args[0])
                if base.kind == m.RESP and key in LIST_ATTRS:
                    return base.narrowed(m.LABELS)
                return _attr(base, key) if isinstance(key, str) else None
            if base.kind in (m.TEXT,) and name in ("startswith", "endswith") and node.args:
                return self._text_cond(base, node.args[0], "substring", node, prefix=True)
            if base.kind == m.SCOREMAP and name == "get" and node.args:
                key = self.const(node.args[0])
                if isinstance(key, str):
                    return _score_lookup(base, key, node)
            if base.kind in (m.TEXTS, m.MATCH) and name in ("intersection", "__and__") and node.args:
                return self._set_test(base, node.args[0], node)
            if base.kind in (m.LABELS, m.TEXTS) and name in ("copy",):
                return base
            return None
        if isinstance(base, Cond):
            return None
        # constant receiver: " ".join(texts), X.intersection(texts), X.isdisjoint(texts), MAP.get(text)
        args = [self.ev(a) for a in node.args]
        if name == "join" and args and isinstance(args[0], AV) and args[0].kind in (m.TEXTS, m.LABELS):
            return args[0].narrowed(m.BLOB)
        if (
            name in ("intersection", "isdisjoint")
            and args
            and isinstance(args[0], AV)
            and args[0].kind == m.TEXTS
        ):
            result = self._set_test(args[0], func.expr, node)
            if name == "isdisjoint" and isinstance(result, AV) and result.cond is not None:
                return replace(result.cond, negated=True)
            return result
        if name == "get" and args and isinstance(args[0], AV) and args[0].kind == m.TEXT:
            return self._mapped(func.expr, args[0])
        if isinstance(func.expr, nodes.Name) and func.expr.name in ("self", "cls"):
            return self.ev_app_call(node)
        return self.ev_app_call(node)

    def ev_map(self, fn: nodes.NodeNG, seq: nodes.NodeNG) -> Value:
        value = self.ev(seq)
        if not (isinstance(value, AV) and value.kind in (m.LABELS, m.TEXTS)):
            return None
        if isinstance(fn, nodes.Lambda) and fn.args.args:
            saved = self.env.get(fn.args.args[0].name)
            self.env[fn.args.args[0].name] = replace(
                value, kind=m.LABEL if value.kind == m.LABELS else m.TEXT, loop=None
            )
            out = self.ev(fn.body)
            self.env[fn.args.args[0].name] = saved
            if isinstance(out, AV) and out.kind == m.TEXT:
                return replace(value, kind=m.TEXTS, folded=out.folded)
        if isinstance(fn, nodes.Attribute) and fn.attrname in FOLD_METHODS and value.kind == m.TEXTS:
            return replace(value, folded=True)
        return None

    def ev_comp(self, node: nodes.ListComp | nodes.SetComp | nodes.GeneratorExp) -> Value:
        """Comprehensions over the labels: mapped (texts), filtered by score, or searched."""
        gens = node.generators
        if not gens:
            return None
        base = self.ev(gens[0].iter)
        if not (isinstance(base, AV) and base.kind in (m.LABELS, m.TEXTS)):
            # over constants: `any(word in text for word in WORDS)` is handled by truth()
            return None
        loop = next(self.an.ids)
        saved = dict(self.env)
        self.bind_loop(gens[0].target, base, loop)
        try:
            label_cond: Cond | None = None
            threshold = None
            reasons: list[str] = []
            for test in gens[0].ifs:
                c = self.cond(test)
                if c is None:
                    reasons.append(f"filter {test.as_string()} is not understood")
                    continue
                if c.scope == "score":
                    threshold = c.threshold if threshold is None else max(threshold, c.threshold or 0)
                elif c.scope in ("label", "any") and not c.negated:
                    label_cond = c if label_cond is None else _or(label_cond, c)
                else:
                    reasons.append(f"filter {test.as_string()} is not understood")
            elt = self.ev(node.elt)
            if len(gens) > 1:
                # [l for l in labels for w in WORDS if w in l] - nested over constants
                nested = None  # nested generators over constants are not followed
                label_cond = nested if nested is not None else label_cond
        finally:
            self.env = saved
        base = base.with_threshold(threshold)
        if label_cond is not None:
            label_cond = replace(
                label_cond,
                scope="any",
                loop=None,
                threshold=_max(label_cond.threshold, base.threshold),
                top_k=_min(label_cond.top_k, base.top_k),
                reasons=label_cond.reasons + tuple(reasons),
            )
            if isinstance(elt, Cond) and elt.scope in ("label", "any"):
                label_cond = _and(label_cond, replace(elt, scope="any", loop=None))
            return AV(m.MATCH, base.site, top_k=base.top_k, many=True, cond=label_cond, loop=loop)
        if isinstance(elt, Cond) and elt.scope in ("label", "any"):
            # any(l.description in X for l in labels)
            c = replace(
                elt,
                scope="any",
                loop=None,
                threshold=_max(elt.threshold, base.threshold),
                top_k=_min(elt.top_k, base.top_k),
            )
            return c
        if isinstance(elt, AV):
            if elt.kind == m.TEXT:
                return replace(base, kind=m.TEXTS, folded=elt.folded, loop=None)
            if elt.kind == m.LABEL:
                return replace(base, kind=m.LABELS, loop=None)
        if isinstance(node.elt, nodes.Tuple):
            kinds = []
            for e in node.elt.elts:
                saved2 = dict(self.env)
                self.env = saved | {}
                self.bind_loop(gens[0].target, base, loop)
                v = self.ev(e)
                self.env = saved2
                kinds.append(("", v.kind if isinstance(v, AV) else "other"))
            return replace(base, kind=m.LABELS, mapping=tuple(kinds), loop=None)
        return None

    def ev_dictcomp(self, node: nodes.DictComp) -> Value:
        gens = node.generators
        base = self.ev(gens[0].iter) if gens else None
        if not (isinstance(base, AV) and base.kind == m.LABELS):
            return None
        saved = dict(self.env)
        loop = next(self.an.ids)
        self.bind_loop(gens[0].target, base, loop)
        threshold = None
        for test in gens[0].ifs:
            c = self.cond(test)
            if c is not None and c.scope == "score":
                threshold = c.threshold
        key, value = self.ev(node.key), self.ev(node.value)
        self.env = saved
        if isinstance(key, AV) and key.kind == m.TEXT and isinstance(value, AV) and value.kind == m.SCORE:
            return replace(base, kind=m.SCOREMAP, folded=key.folded, loop=None).with_threshold(threshold)
        if isinstance(key, AV) and key.kind == m.TEXT:
            return replace(base, kind=m.TEXTS, folded=key.folded, loop=None).with_threshold(threshold)
        return None

    def ev_next(self, arg: nodes.NodeNG) -> Value:
        value = self.ev(arg) if not isinstance(arg, nodes.GeneratorExp) else self.ev_comp(arg)
        if isinstance(value, AV) and value.kind == m.MATCH and value.cond is not None:
            return replace(value, many=False)
        if isinstance(value, AV) and value.kind in (m.TEXTS, m.LABELS):
            return None
        return None

    def ev_app_call(self, node: nodes.Call) -> Value:
        func = self._resolve_callee(node)
        if func is None:
            return None
        params = [a.name for a in (func.args.posonlyargs or []) + (func.args.args or [])]
        if params and params[0] in ("self", "cls") and isinstance(node.func, nodes.Attribute):
            params = params[1:]
        env: dict[str, Value] = {}
        consts: dict[str, Any] = {}
        pairs = list(zip(params, node.args))
        pairs += [(kw.arg, kw.value) for kw in node.keywords or [] if kw.arg]
        for pname, arg in pairs:
            if isinstance(arg, nodes.Starred):
                continue
            value = self.ev(arg)
            if value is not None:
                env[pname] = value
            else:
                const = self.const(arg)
                if not is_unknown(const):
                    consts[pname] = const
        if not env and not _returns_sdk(func):
            return None
        result = self.an.run_function(func, env, consts)
        values = [v for v in result.returns if v is not None]
        if not values:
            return None
        return values[-1]

    def _resolve_callee(self, node: nodes.Call) -> nodes.FunctionDef | None:
        func = node.func
        if (
            isinstance(func, nodes.Attribute)
            and isinstance(func.expr, nodes.Name)
            and func.expr.name in ("self", "cls")
        ):
            frame = node.frame()
            cls = frame.parent if isinstance(frame, nodes.FunctionDef) else None
            if isinstance(cls, nodes.ClassDef):
                for stmt in cls.body:
                    if isinstance(stmt, nodes.FunctionDef) and stmt.name == func.attrname:
                        return stmt
            return None
        if not isinstance(func, (nodes.Name, nodes.Attribute)):
            return None
        ref = self.const(func)
        if isinstance(ref, Ref) and isinstance(ref.node, nodes.FunctionDef):
            return ref.node
        if isinstance(ref, Ref) and isinstance(ref.node, nodes.ClassDef):
            return None
        return None

    # ------------------------------------------------------------------ tests
    def truth(self, node: nodes.NodeNG) -> Value:
        """`any(...)`, `bool(...)`, `if x:` - is some label selected?"""
        if isinstance(node, nodes.GeneratorExp) or isinstance(node, nodes.ListComp):
            value = self.ev_comp(node)
            if value is None:
                return self.truth_over_consts(node.generators, node.elt)
        else:
            value = self.ev(node)
        return self.truthy(value)

    def truthy(self, value: Value) -> Cond | None:
        if isinstance(value, Cond):
            return value
        if isinstance(value, AV):
            if value.kind == m.MATCH and value.cond is not None:
                if not value.many and value.loop is not None:  # next(...): the first matching label
                    return replace(value.cond, scope="label", loop=value.loop)
                return replace(value.cond, scope="any", loop=None)
            if value.kind == m.MAPPED and value.mapping is not None:
                keys = tuple(k for k, v in value.mapping if v)
                return self._label_cond(value, keys, "exact", (), mapping=value.mapping)
        return None

    def truth_over_consts(self, gens: list[nodes.Comprehension], elt: nodes.NodeNG | None) -> Cond | None:
        """`any(w in text for w in WORDS)`: unroll over the constant list, or of the tests."""
        if elt is None or len(gens) != 1:
            return None
        items = self.const(gens[0].iter)
        if is_unknown(items):
            # the element still tells which label is tested: report the unresolved list
            saved = dict(self.consts)
            self.consts = {**self.consts}
            probe = self._probe_unknown(gens[0], elt, items)
            self.consts = saved
            return probe
        if isinstance(items, dict):
            items = list(items)
        from chameleonapi.analysis.values import bind_target

        result: Cond | None = None
        saved = dict(self.consts)
        try:
            for item in list(items)[:MAX_UNROLL]:
                bound = bind_target(gens[0].target, item)
                if bound is None:
                    return None
                self.consts.update(bound)
                c = self.cond(elt)
                if c is None or c.negated:
                    return None
                result = c if result is None else _or(result, c)
        finally:
            self.consts = saved
        return result

    def _probe_unknown(self, gen: nodes.Comprehension, elt: nodes.NodeNG, items: Unknown) -> Cond | None:
        names = (
            {n.name for n in gen.target.nodes_of_class(nodes.AssignName)}
            if not isinstance(gen.target, nodes.AssignName)
            else {gen.target.name}
        )
        for name in names:
            self.consts[name] = items
        c = self.cond(elt)
        return c

    def cond(self, node: nodes.NodeNG) -> Cond | None:
        if isinstance(node, nodes.BoolOp):
            parts = [self.cond(v) for v in node.values]
            known = [p for p in parts if p is not None]
            if not known:
                return None
            result = known[0]
            for p in known[1:]:
                result = _and(result, p) if node.op == "and" else _or(result, p)
            if len(known) < len(parts):
                result = replace(
                    result, reasons=result.reasons + ("part of the test does not depend on the labels",)
                )
            return result
        if isinstance(node, nodes.UnaryOp) and node.op == "not":
            c = self.cond(node.operand)
            return replace(c, negated=not c.negated) if c is not None else None
        if isinstance(node, nodes.Compare):
            return self.compare(node)
        value = self.ev(node)
        if isinstance(node, nodes.Call) and isinstance(value, Cond):
            callee = self._resolve_callee(node)
            if callee is not None:
                self.an.consumed.add(id(callee))
        return self.truthy(value)

    def compare(self, node: nodes.Compare) -> Cond | None:
        if len(node.ops) != 1:
            return None
        op, right_node = node.ops[0]
        left, right = self.ev(node.left), self.ev(right_node)
        line = m.loc(node)
        # scores
        for a, b_node, flip in ((left, right_node, False), (right, node.left, True)):
            if isinstance(a, AV) and a.kind == m.SCORE:
                k = self.const(b_node)
                if not isinstance(k, (int, float)) or isinstance(k, bool):
                    return None
                o = _flip(op) if flip else op
                t = round(k / a.site.scale, 6)
                if o in (">", ">="):
                    if a.cond is not None:
                        return replace(a.cond, threshold=_max(a.cond.threshold, t), lines=(line,))
                    return Cond("score", a.site, None, threshold=t, loop=a.loop, lines=(line,))
                if o in ("<", "<="):
                    if a.cond is not None:
                        return replace(
                            a.cond, threshold=_max(a.cond.threshold, t), negated=True, lines=(line,)
                        )
                    return Cond("score", a.site, None, threshold=t, loop=a.loop, negated=True, lines=(line,))
                return None
        # search results / mapped values against None / 0 / []
        for a, b_node in ((left, right_node), (right, node.left)):
            if isinstance(a, AV) and a.kind in (m.MATCH, m.MAPPED):
                k = self.const(b_node)
                if (
                    a.kind == m.MAPPED
                    and op in ("==", "!=", "in", "not in")
                    and not is_unknown(k)
                    and k is not None
                ):
                    wanted = k if op in ("in", "not in") and isinstance(k, (list, tuple, OSet)) else (k,)
                    keys = tuple(key for key, v in a.mapping or () if v in wanted)
                    sub = tuple((key, v) for key, v in a.mapping or () if v in wanted)
                    c = self._label_cond(a, keys, "exact", (), mapping=sub)
                    return replace(c, negated=op in ("!=", "not in"), lines=(line,)) if c else None
                base = self.truthy(a)
                if base is None:
                    return None
                positive = (
                    (op in ("is not", "!=") and k in (None, 0, "", []))
                    or (op in (">", ">=") and k in (0, 1))
                    or (op == "==" and k is True)
                )
                negative = (op in ("is", "==") and k in (None, 0, "", [])) or (op == "<" and k == 1)
                if positive or negative:
                    return replace(base, negated=negative, lines=(line,))
                return None
        # label text tests
        if op in ("in", "not in"):
            c = self._membership(left, node.left, right, right_node, node)
        elif op in ("==", "!="):
            c = None
            for a, b_node in ((left, right_node), (right, node.left)):
                if isinstance(a, AV) and a.kind == m.TEXT:
                    c = self._text_cond(a, b_node, "exact", node)
                    break
        else:
            return None
        if c is not None and op in ("not in", "!="):
            c = replace(c, negated=not c.negated)
        return c

    def _membership(
        self,
        left: Value,
        left_node: nodes.NodeNG,
        right: Value,
        right_node: nodes.NodeNG,
        node: nodes.Compare,
    ) -> Cond | None:
        if isinstance(left, AV) and left.kind == m.TEXT and right is None:
            # text in COLLECTION (or text in "a long string": substring of the constant)
            return self._text_cond(left, right_node, "exact", node)
        if isinstance(right, AV) and right.kind == m.TEXT and left is None:
            return self._text_cond(right, left_node, "substring", node)
        if isinstance(right, AV) and right.kind in (m.TEXTS, m.MATCH) and left is None:
            return self._text_cond(
                replace(right, kind=m.TEXT, loop=None), left_node, "exact", node, scope="any"
            )
        if isinstance(right, AV) and right.kind == m.BLOB and left is None:
            return self._text_cond(
                replace(right, kind=m.TEXT, loop=None), left_node, "substring", node, scope="any"
            )
        if isinstance(right, AV) and right.kind == m.SCOREMAP and left is None:
            return self._text_cond(
                replace(right, kind=m.TEXT, loop=None), left_node, "exact", node, scope="any"
            )
        if isinstance(left, AV) and left.kind == m.TEXT and isinstance(right, AV) and right.kind == m.MAPPED:
            return None
        return None

    def _text_cond(
        self,
        text: AV,
        other: nodes.NodeNG,
        mode: str,
        node: nodes.NodeNG,
        scope: str | None = None,
        prefix: bool = False,
    ) -> Cond | None:
        ctx = self.ectx()
        value = evaluate(other, ctx)
        warnings = tuple(ctx.warnings)
        reasons: tuple[str, ...] = ()
        if is_unknown(value):
            labels: tuple[str, ...] | None = None
            reasons = (value.reason,)
        elif isinstance(value, str):
            if (
                mode == "exact"
                and isinstance(node, nodes.Compare)
                and node.ops[0][0] in ("in", "not in")
                and self.ev(node.left) is text
            ):
                # text in "cat dog": the label must be a substring of the constant
                labels, reasons = (
                    (value,),
                    ("a label tested as a substring of a constant string is approximated",),
                )
            else:
                labels = (value,)
        elif isinstance(value, dict):
            labels = tuple(k for k in value if isinstance(k, str))
        elif isinstance(value, (list, tuple, OSet)):
            labels = tuple(v for v in value if isinstance(v, str))
        else:
            return None
        if prefix:
            reasons = reasons + ("startswith/endswith is approximated by a substring test",)
        return self._label_cond(text, labels, mode, reasons, node=node, warnings=warnings, scope=scope)

    def _label_cond(
        self,
        text: AV,
        labels: tuple[str, ...] | None,
        mode: str,
        reasons: tuple[str, ...],
        node: nodes.NodeNG | None = None,
        warnings: tuple[str, ...] = (),
        scope: str | None = None,
        mapping: tuple | None = None,
    ) -> Cond:
        if text.folded:
            mode = "casefold" if mode == "exact" else "substring_casefold"
        if scope is None:
            scope = "label" if text.loop is not None else "any"
        line = m.loc(node) if node is not None else 0
        return Cond(
            scope,
            text.site,
            labels,
            mode,
            text.threshold,
            text.top_k,
            text.loop if scope == "label" else None,
            False,
            (line,) if line else (),
            reasons,
            warnings,
            mapping,
        )

    def _set_test(self, texts: AV, other: nodes.NodeNG, node: nodes.NodeNG) -> Value:
        c = self._text_cond(replace(texts, kind=m.TEXT, loop=None), other, "exact", node, scope="any")
        if c is None:
            return None
        return AV(m.MATCH, texts.site, top_k=texts.top_k, many=True, cond=c)

    def regex(self, node: nodes.Call, func: str) -> Value:
        if len(node.args) < 2:
            return None
        subject = self.ev(node.args[1])
        if not (isinstance(subject, AV) and subject.kind in (m.TEXT, m.BLOB)):
            return None
        pattern = self.const(node.args[0])
        flags_node = (
            node.args[2]
            if len(node.args) > 2
            else next((kw.value for kw in node.keywords or [] if kw.arg == "flags"), None)
        )
        ignore_case = flags_node is not None and any(
            isinstance(n, (nodes.Attribute, nodes.Name))
            and getattr(n, "attrname", getattr(n, "name", "")) in ("I", "IGNORECASE")
            for n in [flags_node, *flags_node.nodes_of_class((nodes.Attribute, nodes.Name))]
        )
        scope = "any" if subject.kind == m.BLOB else None
        text = replace(subject, kind=m.TEXT, loop=None if scope else subject.loop)
        if not isinstance(pattern, str):
            return self._label_cond(
                text,
                None,
                "substring",
                (getattr(pattern, "reason", "pattern is not a constant"),),
                node=node,
                scope=scope,
            )
        tr = translate(pattern, "search" if subject.kind == m.BLOB else func, ignore_case)
        if tr is None:
            return self._label_cond(
                text,
                None,
                "substring",
                (f"regular expression {pattern!r} is not a word list",),
                node=node,
                scope=scope,
            )
        mode = tr.match
        if text.folded:
            mode = "casefold" if mode in ("exact", "casefold") else "substring_casefold"
        if subject.kind == m.BLOB and mode in ("exact", "casefold"):
            mode = "substring" if mode == "exact" else "substring_casefold"
        c = self._label_cond(
            replace(text, folded=False),
            tr.labels,
            mode,
            (tr.approximate,) if tr.approximate else (),
            node=node,
            scope=scope,
        )
        return c


# ---------------------------------------------------------------------- helpers
def _attr(base: AV, attr: str) -> Value:
    if base.kind == m.RESP and attr in LIST_ATTRS:
        return base.narrowed(m.LABELS)
    if base.kind == m.RESPS and attr == "responses":
        return base
    if base.kind == m.LABELS and attr in ("list", "values"):
        return base
    if base.kind == m.LABEL:
        if attr in TEXT_ATTRS:
            return base.narrowed(m.TEXT)
        if attr in SCORE_ATTRS:
            return base.narrowed(m.SCORE)
    return None


def _name(node: nodes.NodeNG) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Attribute):
        return node.attrname
    return "result"


def _ends(body: list[nodes.NodeNG]) -> bool:
    return bool(body) and isinstance(body[-1], (nodes.Continue, nodes.Return, nodes.Raise, nodes.Break))


def _walk_same_loop(node: nodes.NodeNG):
    """Nodes of a statement, not descending into nested loops or functions."""
    yield node
    for child in node.get_children():
        if isinstance(child, (nodes.For, nodes.While, nodes.FunctionDef, nodes.ClassDef, nodes.Lambda)):
            continue
        yield from _walk_same_loop(child)


def _returns_sdk(func: nodes.FunctionDef) -> bool:
    for call in func.nodes_of_class(nodes.Call):
        f = call.func
        if isinstance(f, nodes.Attribute):
            from chameleonapi.analysis.sdk import METHODS

            if f.attrname in METHODS:
                return True
    for call in func.nodes_of_class(nodes.Call):
        if isinstance(call.func, (nodes.Name, nodes.Attribute)):
            return True
    return False


def _flip(op: str) -> str:
    return {">": "<", "<": ">", ">=": "<=", "<=": ">="}.get(op, op)


def _max(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _min(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _or(a: Cond, b: Cond) -> Cond:
    if a.scope == "score" or b.scope == "score":
        return a if b.scope == "score" else b
    labels = None if a.labels is None or b.labels is None else tuple(dict.fromkeys(a.labels + b.labels))
    match, reasons = a.match, a.reasons + b.reasons
    if a.match != b.match:
        order = ["exact", "casefold", "substring", "substring_casefold"]
        match = max(a.match, b.match, key=order.index)
        reasons += (f"tests mix {a.match} and {b.match} matching; {match} is used",)
    if a.scope != b.scope:
        reasons += ("a per-label test is combined with a test over all labels",)
    mapping = (a.mapping or ()) + (b.mapping or ()) if a.mapping or b.mapping else None
    return replace(
        a,
        labels=labels,
        match=match,
        reasons=reasons,
        lines=a.lines + b.lines,
        warnings=a.warnings + b.warnings,
        top_k=_min(a.top_k, b.top_k),
        mapping=mapping,
    )


def _and(a: Cond, b: Cond) -> Cond:
    if b.scope == "score" and not b.negated:
        return replace(a, threshold=_max(a.threshold, b.threshold), lines=a.lines + b.lines)
    if a.scope == "score" and not a.negated:
        return replace(b, threshold=_max(a.threshold, b.threshold), lines=a.lines + b.lines)
    if b.negated and not a.negated:
        return replace(
            a, reasons=a.reasons + ("an excluding test (and not ...) is ignored",), lines=a.lines + b.lines
        )
    if a.negated and not b.negated:
        return replace(
            b, reasons=b.reasons + ("an excluding test (and not ...) is ignored",), lines=a.lines + b.lines
        )
    return replace(
        a,
        reasons=a.reasons + ("two label tests joined by and are reduced to the first",),
        lines=a.lines + b.lines,
    )


__all__ = ["Analyzer", "Decision", "class_attribute"]


def _score_lookup(base: AV, key: str, node: nodes.NodeNG) -> AV:
    """`scores[key]` / `scores.get(key)` on a label -> score map: the score of one label."""
    cond = Cond(
        "any",
        base.site,
        (key,),
        "casefold" if base.folded else "exact",
        top_k=base.top_k,
        threshold=base.threshold,
        lines=(m.loc(node),),
    )
    return AV(m.SCORE, base.site, cond=cond)
