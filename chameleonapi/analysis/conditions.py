"""Conditions: turn the tests an application writes over labels into `Cond`s.

Comparisons of label text with constants (==, in, startswith, regexes), score thresholds,
tests on search results, and `and`/`or`/`not` combinations of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from astroid import nodes

from chameleonapi.analysis.constants import OSet, Unknown, bind_target, is_unknown
from chameleonapi.analysis.facts import AV, Cond, Kind, Value, loc, unrolled
from chameleonapi.analysis.regex import translate
from chameleonapi.analysis.values import evaluate
from chameleonapi.analysis.walker_parts import WalkerParts
from chameleonapi.spec import MATCHES


class Conditions(WalkerParts):
    """Condition handlers of the walker (mixed into `interp.Walker`)."""

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

    def _presence_check(self, node: nodes.NodeNG) -> bool:
        """`hasattr(tag, "name")`, `tag.name` / `result.tags` as a test: the SDK's objects
        always have their fields, so the test does not narrow the decision."""
        if isinstance(node, nodes.Call) and isinstance(node.func, nodes.Name) and node.func.name == "hasattr":
            return bool(node.args) and isinstance(self.ev(node.args[0]), AV)
        return False

    def truthy(self, value: Value) -> Cond | None:
        if isinstance(value, Cond):
            return value
        if isinstance(value, AV):
            if (value.kind in (Kind.MATCH, Kind.COUNT) or (value.kind == Kind.SCORE and value.many)) and (
                value.cond is not None
            ):
                if not value.many and value.loop is not None:  # next(...): the first matching label
                    return replace(value.cond, scope="label", loop=value.loop)
                return replace(value.cond, scope="any", loop=None)
            if value.kind == Kind.MAPPED and value.mapping is not None:
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
            probe = self._probe_unknown(gens[0], elt, items)
            self.consts = saved
            return probe
        items = unrolled(items)
        if items is None:  # not a collection: nothing to unroll
            return None
        result: Cond | None = None
        saved = dict(self.consts)
        try:
            for item in items:
                bound = bind_target(gens[0].target, item)
                if bound is None:
                    return None
                self.consts.update(bound)
                c = self.cond(elt)
                if c is None or c.negated:
                    return None
                result = c if result is None else or_conds(result, c)
        finally:
            self.consts = saved
        return result

    def _probe_unknown(self, gen: nodes.Comprehension, elt: nodes.NodeNG, items: Unknown) -> Cond | None:
        for name in gen.target.nodes_of_class(nodes.AssignName):  # the target itself included
            self.consts[name.name] = items
        return self.cond(elt)

    def cond(self, node: nodes.NodeNG) -> Cond | None:
        if isinstance(node, nodes.BoolOp):
            values = [v for v in node.values if not self._presence_check(v)]
            if not values:
                return None
            parts = [self.cond(v) for v in values]
            known = [p for p in parts if p is not None]
            if not known:
                return None
            result = known[0]
            for p in known[1:]:
                result = and_conds(result, p) if node.op == "and" else or_conds(result, p)
            if len(known) < len(parts):
                result = replace(
                    result, reasons=result.reasons + ("part of the test does not depend on the labels",)
                )
            return result
        if isinstance(node, nodes.UnaryOp) and node.op == "not":
            if isinstance(node.operand, nodes.Name) and self.ev(node.operand) is None:
                return None  # `if not found: return`: the flag's own rules decide
            c = self.cond(node.operand)
            return replace(c, negated=not c.negated) if c is not None else None
        if isinstance(node, nodes.Compare):
            return self.compare(node)
        value = self.ev(node)
        if value is None and isinstance(node, nodes.Name) and node.name in self.flags:
            value = replace(self.flags[node.name], flags=(node.name,))  # `if found:` after `found = True` under a test
            self.tested_flags.add(node.name)
        if isinstance(node, nodes.Call) and isinstance(value, Cond):
            callee = self._resolve_callee(node)
            if callee is not None:
                value = replace(value, via=value.via + (id(callee),))
        return self.truthy(value)

    def compare(self, node: nodes.Compare) -> Cond | None:
        if len(node.ops) != 1:
            return None
        op, right_node = node.ops[0]
        left, right = self.ev(node.left), self.ev(right_node)
        line = loc(node)
        # scores
        for a, b_node, flip in ((left, right_node, False), (right, node.left, True)):
            if isinstance(a, AV) and a.kind == Kind.SCORE:
                k = self.const(b_node)
                if not isinstance(k, (int, float)) or isinstance(k, bool):
                    return None
                o = _flip(op) if flip else op
                if o not in (">", ">=", "<", "<="):
                    return None
                t, below = round(k / a.site.scale, 6), o in ("<", "<=")
                if a.cond is not None:
                    return replace(a.cond, threshold=max_known(a.cond.threshold, t), negated=a.cond.negated or below,
                                   lines=a.cond.lines or (line,))
                return Cond("score", a.site, None, threshold=t, loop=a.loop, negated=below, lines=(line,))
        # search results / mapped values against None / 0 / []
        for a, b_node in ((left, right_node), (right, node.left)):
            if isinstance(a, AV) and a.kind in (Kind.MATCH, Kind.COUNT, Kind.MAPPED):
                k = self.const(b_node)
                if (
                    a.kind == Kind.MAPPED
                    and op in ("==", "!=", "in", "not in")
                    and not is_unknown(k)
                    and k is not None
                ):
                    wanted = k if op in ("in", "not in") and isinstance(k, (list, tuple, OSet)) else (k,)
                    keys = tuple(key for key, v in a.mapping or () if v in wanted)
                    sub = tuple((key, v) for key, v in a.mapping or () if v in wanted)
                    c: Cond | None = self._label_cond(a, keys, "exact", (), mapping=sub)
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
                    return replace(base, negated=negative)  # the label test is where the search filters
                return None
        # label text tests
        if op in ("in", "not in"):
            c = self._membership(left, node.left, right, right_node, node)
        elif op in ("==", "!="):
            c = None
            for a, b_node in ((left, right_node), (right, node.left)):
                if isinstance(a, AV) and a.kind == Kind.TEXT:
                    c = self._text_cond(a, b_node, "exact", node)
                    break
        else:
            return None
        if c is not None and op in ("not in", "!="):
            c = replace(c, negated=not c.negated)
        return c

    def _membership(self, left: Value, left_node: nodes.NodeNG, right: Value, right_node: nodes.NodeNG,
                    node: nodes.Compare) -> Cond | None:
        if isinstance(left, AV) and left.kind == Kind.TEXT and right is None:
            # text in COLLECTION (or text in "a long string": substring of the constant)
            return self._text_cond(left, right_node, "exact", node)
        if not isinstance(right, AV) or left is not None:
            return None
        if right.kind == Kind.TEXT:
            return self._text_cond(right, left_node, "substring", node)
        if right.kind in (Kind.TEXTS, Kind.MATCH, Kind.BLOB, Kind.SCOREMAP):  # "cat" in <any label's text>
            mode = "substring" if right.kind == Kind.BLOB else "exact"
            return self._text_cond(replace(right, kind=Kind.TEXT, loop=None), left_node, mode, node, scope="any")
        return None

    def _text_cond(self, text: AV, other: nodes.NodeNG, mode: str, node: nodes.NodeNG, scope: str | None = None,
                   prefix: bool = False) -> Cond | None:
        ctx = self.ectx()
        value = evaluate(other, ctx)
        warnings = tuple(ctx.warnings)
        reasons: tuple[str, ...] = ()
        if is_unknown(value):
            labels: tuple[str, ...] | None = None
            reasons = (value.reason,)
        elif isinstance(value, str):
            labels = (value,)
            in_constant = isinstance(node, nodes.Compare) and node.ops[0][0] in ("in", "not in")
            if mode == "exact" and in_constant and self.ev(node.left) is text:
                # text in "cat dog": the label must be a substring of the constant
                reasons = ("a label tested as a substring of a constant string is approximated",)
        elif isinstance(value, dict):
            labels = tuple(k for k in value if isinstance(k, str))
        elif isinstance(value, (list, tuple, OSet)):
            labels = tuple(v for v in value if isinstance(v, str))
        else:
            return None
        if prefix:
            reasons = reasons + ("startswith/endswith is approximated by a substring test",)
        return self._label_cond(text, labels, mode, reasons, node=node, warnings=warnings, scope=scope)

    def _label_cond(self, text: AV, labels: tuple[str, ...] | None, mode: str, reasons: tuple[str, ...],
                    node: nodes.NodeNG | None = None, warnings: tuple[str, ...] = (), scope: str | None = None,
                    mapping: tuple | None = None) -> Cond:
        if text.folded:
            mode = "casefold" if mode == "exact" else "substring_casefold"
        if scope is None:
            scope = "label" if text.loop is not None else "any"
        line = loc(node) if node is not None else 0
        loop = text.loop if scope == "label" else None
        return Cond(scope, text.site, labels, mode, text.threshold, text.top_k, loop, False, (line,) if line else (),
                    reasons, warnings, mapping, also=text.also)

    def _set_test(self, texts: AV, other: nodes.NodeNG, node: nodes.NodeNG) -> Value:
        c = self._text_cond(replace(texts, kind=Kind.TEXT, loop=None), other, "exact", node, scope="any")
        if c is None:
            return None
        return AV(Kind.MATCH, texts.site, top_k=texts.top_k, many=True, cond=c)

    def regex(self, node: nodes.Call, func: str) -> Value:
        if len(node.args) < 2:
            return None
        subject = self.ev(node.args[1])
        if not (isinstance(subject, AV) and subject.kind in (Kind.TEXT, Kind.BLOB)):
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
        scope = "any" if subject.kind == Kind.BLOB else None
        text = replace(subject, kind=Kind.TEXT, loop=None if scope else subject.loop)
        if not isinstance(pattern, str):
            reason = getattr(pattern, "reason", "pattern is not a constant")
            return self._label_cond(text, None, "substring", (reason,), node=node, scope=scope)
        tr = translate(pattern, "search" if subject.kind == Kind.BLOB else func, ignore_case)
        if tr is None:
            reason = f"regular expression {pattern!r} is not a word list"
            return self._label_cond(text, None, "substring", (reason,), node=node, scope=scope)
        mode = tr.match
        if text.folded:
            mode = "casefold" if mode in ("exact", "casefold") else "substring_casefold"
        if subject.kind == Kind.BLOB and mode in ("exact", "casefold"):
            mode = "substring" if mode == "exact" else "substring_casefold"
        approximate = (tr.approximate,) if tr.approximate else ()
        return self._label_cond(replace(text, folded=False), tr.labels, mode, approximate, node=node, scope=scope)


def _flip(op: str) -> str:
    return {">": "<", "<": ">", ">=": "<=", "<=": ">="}.get(op, op)


def _of_known(pick: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """`pick(a, b)` of the values that are known (None: not known)."""
    return lambda a, b: b if a is None else a if b is None else pick(a, b)


max_known = _of_known(max)  # the stricter of two score thresholds
min_known = _of_known(min)  # the stricter of two top-k cuts


def or_conds(a: Cond, b: Cond) -> Cond:
    if a.scope == "score" or b.scope == "score":
        return a if b.scope == "score" else b
    labels = None if a.labels is None or b.labels is None else tuple(dict.fromkeys(a.labels + b.labels))
    match, reasons = a.match, a.reasons + b.reasons
    if a.match != b.match:
        match = max(a.match, b.match, key=MATCHES.index)
        reasons += (f"tests mix {a.match} and {b.match} matching; {match} is used",)
    if a.scope != b.scope:
        reasons += ("a per-label test is combined with a test over all labels",)
    mapping = (a.mapping or ()) + (b.mapping or ()) if a.mapping or b.mapping else None
    return replace(a, labels=labels, match=match, reasons=reasons, lines=a.lines + b.lines,
                   warnings=a.warnings + b.warnings, top_k=min_known(a.top_k, b.top_k), mapping=mapping,
                   flags=tuple(dict.fromkeys(a.flags + b.flags)))  # flags: `if fire or smoke:`


def and_conds(a: Cond, b: Cond) -> Cond:
    if b.scope == "score" and not b.negated:
        return replace(a, threshold=max_known(a.threshold, b.threshold), lines=a.lines + b.lines)
    if a.scope == "score" and not a.negated:
        return replace(b, threshold=max_known(a.threshold, b.threshold), lines=a.lines + b.lines)
    if (a.labels, a.scope, a.loop, a.negated) == (b.labels, b.scope, b.loop, b.negated):
        # `scores and scores[0] > t`: one test, the stricter threshold
        return replace(
            a, threshold=max_known(a.threshold, b.threshold), lines=tuple(dict.fromkeys(a.lines + b.lines))
        )
    if a.negated != b.negated:
        kept, reason = (b if a.negated else a), "an excluding test (and not ...) is ignored"
    else:
        kept, reason = a, "two label tests joined by and are reduced to the first"
    return replace(kept, reasons=kept.reasons + (reason,), lines=a.lines + b.lines)


__all__ = ["Conditions", "and_conds", "max_known", "min_known", "or_conds"]
