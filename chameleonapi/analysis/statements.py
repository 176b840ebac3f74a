"""Statements: walk a function's body in order, tracking guards, loops and what branches do.

A branch guarded by a label test records a `Rule` (test + effect); `if not <test>: return`
guards what follows it; loops over the labels bind the loop variable to one label.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from astroid import nodes

from chameleonapi.analysis.conditions import or_conds
from chameleonapi.analysis.constants import bind_target, is_unknown
from chameleonapi.analysis.facts import AV, FINAL, Cond, Effect, Kind, Outcome, Rule, State, loc, unrolled
from chameleonapi.analysis.walker_parts import WalkerParts


class Statements(WalkerParts):
    """Statement handlers of the walker (mixed into `interp.Walker`)."""

    # ------------------------------------------------------------------ statements
    def walk(self, stmts: list[nodes.NodeNG], st: State) -> None:
        for i, stmt in enumerate(stmts):
            self.an.deadline.check()
            new_guard = self.stmt(stmt, st)
            if new_guard is not None:  # `if not <test>: continue/return` guards what follows
                self.walk(stmts[i + 1 :], self.guarded(st, new_guard))
                return

    def stmt(self, node: nodes.NodeNG, st: State) -> Cond | None:
        if isinstance(node, (nodes.Assign, nodes.AnnAssign)):
            self.assign(node, st)
        elif isinstance(node, nodes.AugAssign):
            if self.decisive(st) and isinstance(node.target, nodes.AssignName):
                self.effect(self._accumulated(node), st)
        elif isinstance(node, nodes.Expr):
            self.expr_stmt(node, st)
        elif isinstance(node, nodes.Return):
            self.ret(node, st)
        elif isinstance(node, nodes.If):
            return self.if_stmt(node, replace(st, nested=True))
        elif isinstance(node, (nodes.For, nodes.AsyncFor)):
            self.for_stmt(node, replace(st, nested=True))
        elif isinstance(node, nodes.While):
            self.walk(node.body, replace(st, nested=True))
            self.walk(node.orelse, st)
        elif isinstance(node, (nodes.With, nodes.AsyncWith)):
            for item, alias in node.items:
                value = self.ev(item)
                if isinstance(alias, nodes.AssignName) and value is not None:
                    self.env[alias.name] = value
            self.walk(node.body, st)
        elif isinstance(node, nodes.Try):
            self.walk(node.body, st)
            for handler in node.handlers:  # may not run: keeps what the body tracked
                self.walk(handler.body, replace(st, nested=True))
            self.walk(node.orelse, st)
            self.walk(node.finalbody, st)
        elif hasattr(nodes, "TryStar") and isinstance(node, nodes.TryStar):
            self.walk(node.body, st)
        return None

    def guarded(self, st: State, cond: Cond, **changes: Any) -> State:
        """The state inside a block that runs only when `cond` holds (a new branch)."""
        return replace(st, guards=st.guards + (cond,), branch=next(self.an.ids), **changes)

    def decisive(self, st: State) -> bool:
        return bool(_label_tests(st))

    def assign(self, node: nodes.Assign | nodes.AnnAssign, st: State) -> None:
        targets = node.targets if isinstance(node, nodes.Assign) else [node.target]
        if (
            isinstance(node.value, nodes.IfExp)
            and len(targets) == 1
            and isinstance(targets[0], nodes.AssignName)
            and self._conditional(node, node.value, st, Effect("set", targets[0].name, Outcome("const"), False, 0))
        ):
            return
        if len(targets) == 1 and isinstance(targets[0], nodes.AssignName) and not self.decisive(st):
            self._nested_conditionals(node.value, st, targets[0].name, "set")
        value = self.ev(node.value) if node.value is not None else None
        for target in targets:
            if isinstance(target, nodes.AssignName):
                if (
                    isinstance(value, AV)
                    and value.kind == Kind.SCORE
                    and value.loop is not None
                    and self.decisive(st)
                ):
                    # cotton = tag.confidence under a label test: the score of that label
                    self.env[target.name] = AV(Kind.SCORE, value.site, cond=_label_tests(st)[-1])
                    continue
                old = self.env.get(target.name)
                if st.nested and isinstance(old, AV) and isinstance(value, AV) and _other_call(old, value):
                    # try: r = client.analyze(a) / except: r = client.analyze(b): either call
                    value = replace(value, also=tuple(dict.fromkeys((*value.also, old.site, *old.also))))
                if value is not None:
                    self.env[target.name] = value
                elif not st.nested:  # `if not found: found = [...]` may not run: keep what it was
                    self.env.pop(target.name, None)
                if not st.nested:
                    self.flags.pop(target.name, None)  # found = False: reset
                if self.decisive(st):
                    self.effect(Effect("set", target.name, self.outcome(node.value), False, loc(node)), st)
                    if value is None and self.const(node.value) is True:
                        self._flag(target.name, st)
            elif (
                isinstance(target, nodes.AssignAttr)
                and isinstance(target.expr, nodes.Name)
                and target.expr.name == "self"
                and isinstance(value, AV)
            ):
                self.env[f"self.{target.attrname}"] = value  # self.labels = ...: read by other methods
            elif isinstance(target, nodes.AssignAttr) and self.decisive(st):
                # record.status = "ok": the value recorded is the outcome
                self.effect(Effect("set", target.attrname, self.outcome(node.value), False, loc(node)), st)
            elif isinstance(target, nodes.Subscript) and self.decisive(st):
                key = self.outcome(target.slice)
                if key.kind == "const" and isinstance(target.value, nodes.Name):
                    val = self.const(node.value) if node.value is not None else None
                    if val is False or val is None or val == 0:
                        continue
                self.effect(Effect("add", _name(target.value), key, False, loc(node)), st)
            elif isinstance(target, (nodes.Tuple, nodes.List)):
                for elt in target.elts:
                    if isinstance(elt, nodes.AssignName):
                        self.env.pop(elt.name, None)

    def _flag(self, name: str, st: State) -> None:
        """`found = True` under a label test: later, `if found:` is that test (over all
        labels, or-ed with the other places that set it since it was last reset)."""
        cond = replace(_label_tests(st)[-1], scope="any", loop=None)
        old = self.flags.get(name)
        self.flags[name] = or_conds(old, cond) if old is not None else cond

    def expr_stmt(self, node: nodes.Expr, st: State) -> None:
        call = node.value
        if not isinstance(call, nodes.Call):
            self.ev(call)
            return
        func = call.func
        if isinstance(func, nodes.Attribute) and func.attrname in ("append", "add", "extend", "update", "insert"):
            if self.decisive(st) and call.args:
                arg = call.args[-1]
                self.effect(Effect("add", _name(func.expr), self.outcome(arg), False, loc(node)), st)
                return
            if call.args and isinstance(func.expr, nodes.Name):
                self._collect(func.expr.name, call.args[-1], node)
        value = self.ev(call)
        if self.decisive(st) and value is None and bookkeeping(call):
            # a branch that only reports or stores: the branch taken is the outcome, told
            # apart from other branches by the constant text it reports (print("OK"))
            part = self._outcome_part(call)
            text = part.value if part is not None and part.kind == "const" else None
            self.effect(Effect("call", "", Outcome("branch", text), False, loc(node)), st)
        elif self.decisive(st) and value is None:
            # an effect: the call (and its receiver) with the constant or label-valued
            # arguments that tell the branches apart (led_red.on(), copy(blob, "net/" + n))
            fname = _callee(func)
            outcome = self._outcome_part(call) or Outcome("const", fname)
            self.effect(Effect("call", fname, outcome, False, loc(node)), st)

    def _accumulated(self, node: nodes.AugAssign) -> Effect:
        """`found += "cup, "` accumulates an outcome (one of several selected); `count += 1`
        only marks that the branch ran."""
        target = node.target.name
        outcome = self.outcome(node.value)
        if node.op == "+=" and outcome.kind == "const" and isinstance(outcome.value, str):
            name = outcome.value.strip(" ,;|/\n\t")
            if name:
                return Effect("add", target, Outcome("const", name), False, loc(node))
        if node.op == "+=" and outcome.kind in ("label", "map"):
            return Effect("add", target, outcome, False, loc(node))
        return Effect("set", target, Outcome("const", True), False, loc(node))

    def _collect(self, name: str, arg: nodes.NodeNG, node: nodes.NodeNG) -> None:
        """`names.append(tag.name)` in a loop over the labels builds the label texts;
        `rows.append([name, hydrant, paved])` records label tests as flags."""
        value = self.ev(arg)
        if isinstance(value, AV) and value.kind in (Kind.TEXT, Kind.LABEL) and value.loop is not None:
            kind = Kind.TEXTS if value.kind == Kind.TEXT else Kind.LABELS
            self.env[name] = replace(value, kind=kind, loop=None)
        elif isinstance(value, AV) and value.kind == Kind.RECORD and any(
            isinstance(v, AV) and v.loop is not None for _, v in value.fields or ()
        ):
            # infos.append({"name": l.description.lower(), ...}): the labels, repacked as dicts
            fields = tuple((k, replace(v, loop=None)) for k, v in value.fields or ())
            first = next(v for _, v in fields)
            self.env[name] = AV(Kind.LABELS, first.site, top_k=first.top_k, threshold=first.threshold, fields=fields)
        elif isinstance(value, AV) and value.kind in (Kind.TEXTS, Kind.LABELS) and not isinstance(
            self.env.get(name), AV
        ):
            self.env[name] = value  # words.extend(tags): the list now holds the label texts
        elif isinstance(arg, (nodes.List, nodes.Tuple, nodes.Dict)):
            self.record_flags(arg, loc(node))

    def ret(self, node: nodes.Return, st: State) -> None:
        if isinstance(node.value, nodes.IfExp) and self._conditional(node, node.value, st):
            return
        if node.value is not None and not self.decisive(st):
            self._nested_conditionals(node.value, st, "", "add")
        value = self.ev(node.value) if node.value is not None else None
        if (
            isinstance(value, AV)
            and value.kind == Kind.MATCH
            and not value.many
            and value.cond is not None
            and value.loop is not None
            and (st.guards or st.loops)
        ):
            # return best.description under `if found:`: the label the search chose decides
            cond = replace(value.cond, scope="label", loop=value.loop)
            self._add_rule(cond, Effect("return", "", Outcome("label"), True, loc(node)), st)
            return
        if self.decisive(st):
            self.effect(Effect("return", "", self.outcome(node.value), True, loc(node)), st)
            return
        if st.guards or st.loops:
            return  # a return in a loop or under a score test only: not a decision by itself
        self.result.returns.append(value)
        self.result.return_nodes.append(node)

    def _conditional(
        self, node: nodes.Return | nodes.Assign, value: nodes.IfExp, st: State, effect: Effect | None = None
    ) -> bool:
        """`return "yes" if <label test> else "no"` is an if/else that returns;
        `result = "Eco" if <label test> else "Not eco"` one that assigns."""
        effect = effect or Effect("return", "", Outcome("const"), True, 0)
        chain_id, index, current = next(self.an.ids), 0, value
        # "indoor" if a else "outdoor" if b else "unknown": one if/elif chain
        while isinstance(current, nodes.IfExp):
            cond = self.cond(current.test)
            if cond is None or cond.scope == "score":
                break
            taken, other = (current.orelse, current.body) if cond.negated else (current.body, current.orelse)
            inner = self.guarded(st, replace(cond, negated=False), chain=(chain_id, index))
            self.effect(replace(effect, outcome=self.outcome(taken), line=loc(node)), inner)
            current, index = other, index + 1
        if index == 0:
            return False
        if self.decisive(st):
            self.effect(replace(effect, outcome=self.outcome(current), line=loc(node)), st)
        if effect.kind == "set":
            self.env.pop(effect.target, None)
        return True

    def _nested_conditionals(self, node: nodes.NodeNG, st: State, target: str, kind: str) -> None:
        """`{"type": "indoor" if is_indoor else "outdoor", ...}` assigned or returned: the
        conditional inside decides, its outcome named by the dict key."""
        if not isinstance(node, (nodes.Dict, nodes.Call)):
            return
        items = (
            [(self.const(k), v) for k, v in node.items]
            if isinstance(node, nodes.Dict)
            else [(kw.arg, kw.value) for kw in node.keywords or []] + [(target, a) for a in node.args]
        )
        for key, value in items:
            name = key if isinstance(key, str) else target
            if isinstance(value, nodes.IfExp):
                self._conditional(value, value, st, Effect(kind, name, Outcome("const"), kind == "return", 0))
            elif isinstance(value, (nodes.Dict, nodes.Call)):
                self._nested_conditionals(value, st, name, kind)

    def effect(self, effect: Effect, st: State) -> None:
        conds = _label_tests(st)
        cond = _narrowed(conds, [g for g in st.guards if g.scope == "label" and g.negated])
        conds = [c for c in conds if c.labels is None or c.loop != cond.loop or c.scope != "label"] + [cond]
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
        self.an.consumed.update(cond.via)  # the predicates this test came from are decided here
        file = self.func.root().file or "<string>"
        self.rules.append(
            Rule(cond, effect, st.chain, next(self.seq) + (FINAL if final else 0), st.unroll, file, st.branch)
        )

    def if_stmt(self, node: nodes.If, st: State, chain: tuple[int, int] | None = None) -> Cond | None:
        cond = self.cond(node.test)
        if cond is None:
            self.walk(node.body, st)
            self.walk(node.orelse, st)
            return None
        if cond.scope == "label" and cond.labels is not None and (
            (not cond.negated and _only_skips(node.body)) or (cond.negated and not _only_exits(node.body))
        ):
            self._exclusion(cond, node)
        if cond.negated:
            if _ends(node.body):
                return replace(cond, negated=False)  # what follows runs only when the test holds
            self.walk(node.body, st)
            self.walk(node.orelse, self.guarded(st, replace(cond, negated=False)))
            return None
        if cond.scope == "score":
            start = len(self.rules)
            self.walk(node.body, self.guarded(st, cond))
            if _exits(node.body):
                self._terminates(start)
            self.walk(node.orelse, st)
            return None
        chain = chain or (next(self.an.ids), 0)
        start = len(self.rules)
        self.walk(node.body, self.guarded(st, cond, chain=chain))
        if _exits(node.body):
            self._terminates(start)
        orelse = node.orelse
        if len(orelse) == 1 and isinstance(orelse[0], nodes.If):
            return self.if_stmt(orelse[0], st, (chain[0], chain[1] + 1))
        if cond.scope == "label" and cond.labels is not None and orelse:
            # else of a test on this label: the labels it names are excluded there
            self.walk(
                orelse,
                replace(
                    st, chain=(chain[0], chain[1] + 1), guards=st.guards + (replace(cond, negated=True),)
                ),
            )
        else:
            self.walk(orelse, replace(st, chain=(chain[0], chain[1] + 1)))
        return None

    def _exclusion(self, cond: Cond, node: nodes.If) -> None:
        """`if name in SKIP: continue` / `if name not in SKIP: ...`: what follows holds for
        any label except these, a category defined by exclusion, which a spec does not
        express; said once per test so that a missing decision is explained."""
        file = self.func.root().file or "<string>"
        excluded = cond.labels or ()
        shown = ", ".join(excluded[:4]) + (", ..." if len(excluded) > 4 else "")
        self.an.notes.setdefault(
            (file, loc(node)),
            f"{file}:{loc(node)}: labels other than [{shown}] are chosen by exclusion; a decision "
            "over 'any label except these' is not expressed (the generic model serves it)",
        )

    def _terminates(self, start: int) -> None:
        """The rules recorded since `start` end the walk through the function or loop."""
        for rule in self.rules[start:]:
            rule.effect = replace(rule.effect, terminates=True)

    def for_stmt(self, node: nodes.For, st: State) -> None:
        iterable = self.ev(node.iter)
        target = node.target
        if isinstance(iterable, AV) and iterable.kind == Kind.MATCH and iterable.many and iterable.cond is not None:
            # for l in found: store(l) -- each label that passed the search
            loop = next(self.an.ids)
            if isinstance(target, nodes.AssignName):
                self.env[target.name] = replace(iterable, kind=Kind.LABEL, many=False, cond=None, loop=loop)
            guard = replace(iterable.cond, scope="label", loop=loop)
            start = len(self.rules)
            self.walk(node.body, self.guarded(replace(st, loops=st.loops + (loop,)), guard))
            # what the loop does with each match (store(l), return l.name) is an outcome;
            # temporaries it sets on the way (r = person.rectangle) are not
            self.rules[start:] = [
                r for r in self.rules[start:] if r.effect.kind == "return" or r.effect.outcome.kind == "label"
            ]
            self.walk(node.orelse, st)
            return
        if isinstance(iterable, AV) and iterable.kind in (Kind.LABELS, Kind.TEXTS, Kind.RESPS, Kind.ENUM):
            loop = next(self.an.ids)
            self.bind_loop(target, iterable, loop)
            self.walk(node.body, replace(st, loops=st.loops + (loop,)))
            self.walk(node.orelse, st)
            return
        items = self.const(node.iter) if self._mentions_tracked(node) else None
        items = None if items is None or is_unknown(items) else unrolled(items)
        if items is not None:
            uid = next(self.an.ids)
            saved = dict(self.consts)
            for i, item in enumerate(items):
                bound = bind_target(target, item)
                if bound is None:
                    break
                self.consts.update(bound)
                for name in bound:
                    self.env.pop(name, None)
                start = len(self.rules)
                self.walk(node.body, replace(st, unroll=(uid, i)))
                if _breaks(node.body):
                    self._terminates(start)
            self.consts = saved
            return
        self.walk(node.body, st)
        self.walk(node.orelse, st)

    def _mentions_tracked(self, node: nodes.For) -> bool:
        tracked = {k for k, v in self.env.items() if v is not None}
        return any(isinstance(n, nodes.Name) and n.name in tracked for n in node.nodes_of_class(nodes.Name))

    def bind_loop(self, target: nodes.NodeNG, iterable: AV, loop: int) -> None:
        if iterable.kind == Kind.ENUM:
            if isinstance(target, (nodes.Tuple, nodes.List)) and len(target.elts) == 2:
                self.bind_loop(
                    target.elts[1],
                    replace(
                        iterable,
                        kind=iterable.mapping[0][1] if iterable.mapping else Kind.LABELS,
                        mapping=None,
                    ),
                    loop,
                )
            return
        if (
            iterable.kind == Kind.LABELS
            and iterable.mapping
            and isinstance(target, (nodes.Tuple, nodes.List))
        ):
            # pairs such as [(l.description, l.score) for l in labels]
            for elt, kind in zip(target.elts, (k for _, k in iterable.mapping)):
                if isinstance(elt, nodes.AssignName):
                    self.env[elt.name] = replace(iterable, kind=kind, loop=loop, mapping=None)
            return
        kind = {Kind.LABELS: Kind.LABEL, Kind.TEXTS: Kind.TEXT, Kind.RESPS: Kind.RESP}[iterable.kind]
        if isinstance(target, nodes.AssignName):
            self.env[target.name] = replace(iterable, kind=kind, loop=loop if kind != Kind.RESP else None)

    # ------------------------------------------------------------------ outcomes
    def outcome(self, node: nodes.NodeNG | None) -> Outcome:
        if node is None:
            return Outcome("const", None)
        value = self.ev(node)
        if isinstance(value, AV):
            if value.kind in (Kind.TEXT, Kind.LABEL, Kind.MATCH):
                return Outcome("label")
            if value.kind == Kind.MAPPED and value.mapping is not None:
                return Outcome("map", value.mapping)
        if isinstance(value, Cond):
            return Outcome("unknown", "a test result")
        const = self.const(node)
        if not is_unknown(const):
            if isinstance(const, (str, bool, int, float)) or const is None:
                return Outcome("const", const)
            return Outcome("const", repr(const))
        part = self._outcome_part(node)
        if part is not None:
            return part
        if isinstance(node, nodes.Name) and self._over_unresolved(node):
            # for cat, words in CATEGORIES.items(): ... return cat, with CATEGORIES read at run
            # time: one outcome per item, which ones is known only then
            return Outcome("open")
        if isinstance(node, nodes.Name):
            return Outcome("const", node.name)
        return Outcome("unknown", const.reason)

    def _over_unresolved(self, node: nodes.Name) -> bool:
        """Is `node` a loop variable over something read at run time?"""
        try:
            _, assigns = node.lookup(node.name)
        except Exception:
            return False
        for assign in assigns:
            loop = assign.parent
            while isinstance(loop, (nodes.Tuple, nodes.List)):
                loop = loop.parent
            if isinstance(loop, nodes.For) and is_unknown(self.const(loop.iter)):
                return "run time" in self.const(loop.iter).reason
        return False

    def _outcome_part(self, node: nodes.NodeNG) -> Outcome | None:
        """`("Plastic", d)`, `render("page.html", place=BIN[label])`, `jsonify({"bin": "paper"})`:
        the part that tells the branches apart: the label (or its mapped value) if it is
        there, else the first string given by keyword, else the first positional string."""
        found: list[tuple[int, Outcome]] = []
        self._outcome_parts(node, found, 0)
        return min(found, key=lambda f: f[0])[1] if found else None

    def _outcome_parts(self, node: nodes.NodeNG, found: list, depth: int, keyword: bool = False) -> None:
        if depth > 4:
            return
        if isinstance(node, (nodes.Tuple, nodes.List)):
            if depth == 0:  # return ("Plastic", label.description): the constant names the branch
                for e in node.elts:
                    const = self.const(e) if self.ev(e) is None else None
                    if isinstance(const, str) and const:
                        found.append((-1, Outcome("const", const)))
                        return
            parts = [(e, keyword) for e in node.elts]
        elif isinstance(node, nodes.Call):
            parts = [*((a, False) for a in node.args), *((kw.value, True) for kw in node.keywords or [])]
        elif isinstance(node, nodes.Dict):
            parts = [(v, True) for _, v in node.items]
        else:
            value = self.ev(node)
            if isinstance(value, AV) and value.kind in (Kind.TEXT, Kind.LABEL, Kind.MATCH, Kind.MAPPED):
                found.append((0, self.outcome(node)))
            elif value is None:
                const = self.const(node)
                if not isinstance(const, str):
                    const = self._constant_part(node)
                if isinstance(const, str) and const:
                    found.append((1 if keyword else 2, Outcome("const", const)))
            return
        for sub, kw in parts:
            self._outcome_parts(sub, found, depth + 1, kw)

    def _constant_part(self, node: nodes.NodeNG) -> str | None:
        """The constant text of `"person/" + name` or `f"net/{name}"` (the rest is run-time)."""
        if isinstance(node, nodes.BinOp) and node.op == "+":
            for side in (node.left, node.right):
                text = self.const(side)
                if isinstance(text, str) and text.strip(" :/-_,;|"):
                    return text.strip(" :/-_,;|")
            return self._constant_part(node.left)
        if isinstance(node, nodes.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, nodes.Const) and isinstance(v.value, str))
            return text.strip(" :/-_,;|") or None
        return None


BOOKKEEPING = {  # output, logging, persistence and pacing: what a branch does besides deciding
    "print", "pprint", "log", "debug", "info", "warning", "warn", "error", "exception", "critical", "sleep",
    "save", "commit", "flush", "write", "writelines", "close", "refresh", "dump", "put_object", "upload_file",
    "insert_one", "set_description", "set_postfix",
}
LOGGER_NAMES = {"logging", "logger", "log", "LOGGER", "LOG", "_logger", "_log", "time", "sys", "os"}


def bookkeeping(call: nodes.Call) -> bool:
    """A call that reports or stores rather than decides (print, logger.info, obj.save())."""
    func = call.func
    if isinstance(func, nodes.Name):
        return func.name in BOOKKEEPING
    if isinstance(func, nodes.Attribute):
        if func.attrname in BOOKKEEPING:
            return True
        base = func.expr
        while isinstance(base, nodes.Attribute):
            base = base.expr
        return isinstance(base, nodes.Name) and base.name in LOGGER_NAMES
    return False


def _callee(func: nodes.NodeNG) -> str:
    """`led_red.on` for a method of a module-level object, `copy` for a function: what a
    branch that only calls something does, named so that different receivers differ."""
    if isinstance(func, nodes.Attribute):
        if isinstance(func.expr, nodes.Name) and func.expr.name not in ("self", "cls"):
            return f"{func.expr.name}.{func.attrname}"
        if isinstance(func.expr, nodes.Attribute):
            return f"{func.expr.attrname}.{func.attrname}"
        return func.attrname
    return getattr(func, "name", "call")


def _label_tests(st: State) -> list[Cond]:
    """The label tests that hold where `st` is (what makes a branch decisive)."""
    return [g for g in st.guards if g.scope in ("label", "any") and not g.negated]


def _other_call(old: AV, new: AV) -> bool:
    return old.kind == new.kind and old.kind in (Kind.RESP, Kind.RESPS) and old.site != new.site


def _narrowed(positive: list[Cond], negative: list[Cond]) -> Cond:
    """The innermost label test, narrowed by the enclosing tests on the same label:
    `if d in [a, b, c]: if d == a: ... else: <here b, c>`."""
    cond = positive[-1]
    if cond.scope != "label" or cond.labels is None:
        return cond
    labels = list(cond.labels)
    same = [c for c in positive[:-1] if c.scope == "label" and c.loop == cond.loop and c.labels is not None]
    for outer in same:
        if outer.match == cond.match:
            labels = [x for x in labels if x in (outer.labels or ())]
    for other in negative:
        if other.loop == cond.loop and other.labels is not None and other.match == cond.match:
            labels = [x for x in labels if x not in other.labels]
    if not labels:
        return cond
    lines = tuple(dict.fromkeys(line for c in [*same, cond] for line in c.lines))
    return replace(cond, labels=tuple(labels), lines=lines)


def _name(node: nodes.NodeNG) -> str:
    if isinstance(node, nodes.Compare):  # cotton > THRESHOLD names the flag after cotton
        return _name(node.left)
    if isinstance(node, nodes.Call) and len(node.args) == 1 and isinstance(node.func, nodes.Name):
        if node.func.name in ("bool", "any", "len"):
            return _name(node.args[0])
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Attribute):
        return node.attrname
    return "result"


def _only_exits(body: list[nodes.NodeNG]) -> bool:
    """`continue`, `return None`, `raise ...`: leaving without an outcome of its own."""
    for stmt in body:
        if isinstance(stmt, nodes.Return) and stmt.value is not None:
            if not (isinstance(stmt.value, nodes.Const) and not stmt.value.value):
                return False
        elif not isinstance(stmt, (nodes.Continue, nodes.Break, nodes.Pass, nodes.Raise, nodes.Return, nodes.Expr)):
            return False
        elif isinstance(stmt, nodes.Expr) and not isinstance(stmt.value, nodes.Call):
            return False
    return True


def _exits(body: list[nodes.NodeNG]) -> bool:
    return any(isinstance(s, (nodes.Break, nodes.Return, nodes.Raise)) for s in body)


def _breaks(body: list[nodes.NodeNG]) -> bool:
    return any(isinstance(n, (nodes.Break, nodes.Return)) for s in body for n in _walk_same_loop(s))


def _only_skips(body: list[nodes.NodeNG]) -> bool:
    return len(body) == 1 and isinstance(body[0], nodes.Continue)


def _ends(body: list[nodes.NodeNG]) -> bool:
    return bool(body) and isinstance(body[-1], (nodes.Continue, nodes.Return, nodes.Raise, nodes.Break))


def _walk_same_loop(node: nodes.NodeNG):
    """Nodes of a statement, not descending into nested loops or functions."""
    yield node
    for child in node.get_children():
        if isinstance(child, (nodes.For, nodes.While, nodes.FunctionDef, nodes.ClassDef, nodes.Lambda)):
            continue
        yield from _walk_same_loop(child)


__all__ = ["Statements"]
