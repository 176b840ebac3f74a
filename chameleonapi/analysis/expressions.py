"""Expressions: what an expression holds relative to an API call (an `AV`), if anything.

Attribute and subscript reads narrow the response to its labels, a label, its text or
score; comprehensions, `map`, `next`, `sorted`, `str(...)`/`join` reshape them; calls into
the application's own functions are followed with the arguments bound.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from astroid import nodes

from chameleonapi.analysis.conditions import and_conds, max_known, min_known, or_conds
from chameleonapi.analysis.constants import Ref, is_unknown
from chameleonapi.analysis.facts import AV, Cond, Kind, Value, loc
from chameleonapi.analysis.sdk import METHODS
from chameleonapi.analysis.walker_parts import WalkerParts

TEXT_ATTRS = {"description", "name", "object_property", "Name"}
SCORE_ATTRS = {"score", "confidence", "topicality", "Confidence"}
LIST_ATTRS = {"label_annotations", "localized_object_annotations", "tags", "objects", "categories", "Labels"}
FOLD_METHODS = {"lower", "upper", "casefold", "title", "capitalize"}
KEEP_METHODS = {"strip", "rstrip", "lstrip"}


class Expressions(WalkerParts):
    """Expression handlers of the walker (mixed into `interp.Walker`)."""

    # ------------------------------------------------------------------ expressions
    def ev(self, node: nodes.NodeNG | None) -> Value:
        if node is None:
            return None
        if isinstance(node, nodes.Name):
            return self.env.get(node.name)
        if isinstance(node, nodes.Call):
            return self.ev_call(node)
        if isinstance(node, nodes.Attribute):
            if _is_name(node.expr, "self") and f"self.{node.attrname}" in self.env:
                return self.env[f"self.{node.attrname}"]  # an attribute this instance was given
            base = self.ev(node.expr)
            return _attr(base, node.attrname) if isinstance(base, AV) else None
        if isinstance(node, nodes.Subscript):
            return self.ev_subscript(node)
        if isinstance(node, (nodes.ListComp, nodes.SetComp, nodes.GeneratorExp)):
            return self.ev_comp(node)
        if isinstance(node, nodes.DictComp):
            return self.ev_dictcomp(node)
        if isinstance(node, nodes.BoolOp) and node.op == "or":
            first = self.ev(node.values[0])  # `found or ["unknown"]` is `found` when there are matches
            if isinstance(first, AV) and first.kind in (Kind.MATCH, Kind.LABELS, Kind.TEXTS):
                return first
        if isinstance(node, (nodes.Compare, nodes.BoolOp)) or (isinstance(node, nodes.UnaryOp) and node.op == "not"):
            return self.cond(node)
        if isinstance(node, nodes.NamedExpr):
            value = self.ev(node.value)
            if value is not None:
                self.env[node.target.name] = value
            return value
        if isinstance(node, nodes.Await):
            return self.ev(node.value)
        if isinstance(node, nodes.Dict):  # {"name": l.description, ...}, {"labels": [...]}
            fields = []
            for k, v in node.items:
                if isinstance(k, nodes.Const) and isinstance(k.value, str):
                    value = self.ev(v)
                    if isinstance(value, AV):
                        fields.append((k.value, value))
            return AV(Kind.RECORD, fields[0][1].site, fields=tuple(fields)) if fields else None
        if isinstance(node, nodes.JoinedStr) and len(node.values) == 1:
            only = node.values[0]  # f"{t.name}" is the text itself
            if isinstance(only, nodes.FormattedValue) and only.format_spec is None and only.conversion in (-1, 115):
                value = self.ev(only.value)
                return value if isinstance(value, AV) and value.kind == Kind.TEXT else None
        if isinstance(node, nodes.BinOp) and node.op == "+":  # labels + objects, caption words + tags
            left, right = self.ev(node.left), self.ev(node.right)
            for one, other in ((left, right), (right, left)):
                if isinstance(one, AV) and one.kind in (Kind.LABELS, Kind.TEXTS) and not isinstance(other, Cond):
                    if isinstance(other, AV) and other.kind == one.kind and other.site != one.site:
                        return replace(one, also=tuple(dict.fromkeys((*one.also, other.site, *other.also))))
                    return one
        if isinstance(node, nodes.IfExp):  # r.tags.list if r.tags else []
            body, orelse = self.ev(node.body), self.ev(node.orelse)
            return body if body is not None else orelse
        if isinstance(node, nodes.BinOp) and node.op == "&":
            left, right = self.ev(node.left), self.ev(node.right)
            if isinstance(left, AV) and left.kind == Kind.TEXTS and right is None:
                return self._set_test(left, node.right, node)
            if isinstance(right, AV) and right.kind == Kind.TEXTS and left is None:
                return self._set_test(right, node.left, node)
        return None

    def ev_subscript(self, node: nodes.Subscript) -> Value:
        base = self.ev(node.value)
        if not isinstance(base, AV):
            # MAP[label_text]
            if isinstance(self.ev(node.slice), AV):
                return self._mapped(node.value, self.ev(node.slice))
            return self._dict_entry(node)
        sl = node.slice
        if isinstance(sl, nodes.Slice):
            if base.kind in (Kind.LABELS, Kind.TEXTS, Kind.RESPS) and sl.lower is None and sl.step is None:
                k = self.const(sl.upper)
                if isinstance(k, int) and not isinstance(k, bool) and k >= 0:
                    return base.with_top_k(k)
            return None
        key = self.const(sl)
        if base.fields is not None and isinstance(key, str):
            return _field(base, key)
        if base.kind == Kind.RESP and key in LIST_ATTRS:
            return base.narrowed(Kind.LABELS)
        if base.kind == Kind.LABEL:
            return _attr(base, key) if isinstance(key, str) else None
        if base.kind == Kind.TEXTS and is_unknown(key):  # names[i]: some label's text
            return base.narrowed(Kind.TEXT, loop=None)
        if base.kind == Kind.SCORE and base.many and key == 0:  # [l.score for l in labels if ...][0]
            return replace(base, many=False)
        if base.kind in (Kind.LABELS, Kind.TEXTS) and key == 0:
            one = Kind.LABEL if base.kind == Kind.LABELS else Kind.TEXT
            return base.narrowed(one, loop=None).with_top_k(1)
        if base.kind == Kind.RESPS and isinstance(key, int):
            return base.narrowed(Kind.RESP)
        if base.kind == Kind.SCOREMAP and isinstance(key, str):
            return _score_lookup(base, key, node)
        return None

    def _dict_entry(self, node: nodes.Subscript) -> Value:
        """`results["labels"]` where `results = {"labels": found, ...}` in this function."""
        if not isinstance(node.value, nodes.Name):
            return None
        key = self.const(node.slice)
        if not isinstance(key, str):
            return None
        try:
            _, assigns = node.value.lookup(node.value.name)
        except Exception:
            return None
        for assign in reversed(list(assigns)):
            stmt = assign.parent
            if isinstance(stmt, nodes.Assign) and isinstance(stmt.value, nodes.Dict):
                for k, v in stmt.value.items:
                    if isinstance(k, nodes.Const) and k.value == key:
                        return self.ev(v)
                return None
        return None

    def _mapped(self, map_node: nodes.NodeNG, text: Value) -> Value:
        if not (isinstance(text, AV) and text.kind == Kind.TEXT):
            return None
        mapping = self.const(map_node)
        if not isinstance(mapping, dict):
            return None
        pairs = tuple((k, v) for k, v in mapping.items() if isinstance(k, str))
        return text.narrowed(Kind.MAPPED, mapping=pairs)

    def ev_call(self, node: nodes.Call) -> Value:
        site = self.an.site(node)
        if site is not None:
            return AV(Kind.RESPS if site.method == "batch_annotate_images" else Kind.RESP, site)
        func = node.func
        if isinstance(func, nodes.Attribute):
            return self.ev_method(node, func)
        if isinstance(func, nodes.Name):
            name = func.name
            args = node.args
            if name in ("any", "bool") and args:
                return self.truth(args[0])
            if name in ("max", "min") and len(args) == 1:
                return self.ev_argmax(node, name)
            if name in ("max", "min", "float", "round") and args:  # max(best, tag.confidence)
                scores = [v for v in map(self.ev, args) if isinstance(v, AV) and v.kind == Kind.SCORE]
                return scores[-1] if scores else None
            if name == "getattr" and len(args) >= 2:  # getattr(t, "name", str(t))
                base, attr = self.ev(args[0]), self.const(args[1])
                return _attr(base, attr) if isinstance(base, AV) and isinstance(attr, str) else None
            if name == "next" and args:
                return self.ev_next(args[0])
            if name == "sum" and len(args) == 1 and isinstance(args[0], (nodes.GeneratorExp, nodes.ListComp)):
                # sum(1 for l in labels if <test>), sum(<test> for l in labels): a count of matches
                value = self.ev(args[0])
                if isinstance(value, AV) and value.kind == Kind.MATCH:
                    return value.narrowed(Kind.COUNT)
                if isinstance(value, Cond) and value.scope == "any" and not value.negated:
                    return AV(Kind.COUNT, value.site, top_k=value.top_k, many=True, cond=value)
                return None
            if name == "len" and args:
                value = self.ev(args[0])
                if isinstance(value, AV) and value.kind == Kind.MATCH:
                    return value.narrowed(Kind.COUNT)
                return None
            if name in ("list", "tuple", "sorted", "iter", "set", "frozenset") and args:
                return self.ev(args[0])
            if name == "str" and args:
                value = self.ev(args[0])
                if isinstance(value, AV):
                    if value.kind == Kind.TEXT:
                        return value
                    if value.kind in (Kind.LABELS, Kind.TEXTS, Kind.RESP, Kind.BLOB):
                        return value.narrowed(Kind.BLOB)
                return None
            if name == "enumerate" and args:
                value = self.ev(args[0])
                if isinstance(value, AV) and value.kind in (Kind.LABELS, Kind.TEXTS):
                    return value.narrowed(Kind.ENUM, mapping=(("", value.kind),))
                return None
            if name == "map" and len(args) == 2:
                return self.ev_map(args[0], args[1])
            if name == "filter":
                return None
        return self.ev_app_call(node)

    def ev_method(self, node: nodes.Call, func: nodes.Attribute) -> Value:
        name = func.attrname
        if _is_name(func.expr, "re") and name in ("search", "match", "fullmatch", "findall"):
            return self.regex(node, name)
        base = self.ev(func.expr)
        if isinstance(base, AV):
            if base.fields is not None and name == "get" and node.args:
                key = self.const(node.args[0])
                return _field(base, key) if isinstance(key, str) else None
            if base.kind in (Kind.TEXT, Kind.BLOB) and name in FOLD_METHODS:
                return replace(base, folded=True)
            if base.kind in (Kind.TEXT, Kind.BLOB) and name in KEEP_METHODS:
                return base
            if base.kind in (Kind.RESP, Kind.LABEL) and name == "get" and node.args:
                key = self.const(node.args[0])
                if base.kind == Kind.RESP and key in LIST_ATTRS:
                    return base.narrowed(Kind.LABELS)
                return _attr(base, key) if isinstance(key, str) else None
            if base.kind == Kind.TEXT and name in ("startswith", "endswith") and node.args:
                return self._text_cond(base, node.args[0], "substring", node, prefix=True)
            if base.kind == Kind.SCOREMAP and name == "get" and node.args:
                key = self.const(node.args[0])
                if isinstance(key, str):
                    return _score_lookup(base, key, node)
            if base.kind in (Kind.TEXTS, Kind.MATCH) and name in ("intersection", "__and__") and node.args:
                return self._set_test(base, node.args[0], node)
            if base.kind in (Kind.LABELS, Kind.TEXTS) and name == "copy":
                return base
            return None
        if isinstance(base, Cond):
            return None
        # constant receiver: " ".join(texts), X.intersection(texts), X.isdisjoint(texts), MAP.get(text)
        args = [self.ev(a) for a in node.args]
        if name == "format" and len(args) == 1 and isinstance(args[0], AV) and args[0].kind == Kind.TEXT:
            if self.const(func.expr) in ("{}", "{0}", "{0!s}", "{!s}"):
                return args[0]  # "{}".format(t.name) is the text itself
        if name == "join" and args and isinstance(args[0], AV) and args[0].kind in (Kind.TEXTS, Kind.LABELS):
            return args[0].narrowed(Kind.BLOB)
        texts = args[0] if args and isinstance(args[0], AV) and args[0].kind == Kind.TEXTS else None
        if name in ("intersection", "isdisjoint") and texts is not None:
            result = self._set_test(texts, func.expr, node)
            if name == "isdisjoint" and isinstance(result, AV) and result.cond is not None:
                return replace(result.cond, negated=True)
            return result
        if name == "get" and args and isinstance(args[0], AV) and args[0].kind == Kind.TEXT:
            return self._mapped(func.expr, args[0])
        return self.ev_app_call(node)

    def ev_argmax(self, node: nodes.Call, name: str) -> Value:
        """`max(found, key=lambda l: l.score)`: the best-scoring label of a search result (the
        first of the score-ordered labels that pass); `min` by score is the last and not
        expressed."""
        value = self.ev(node.args[0])
        if not isinstance(value, AV) or value.kind not in (Kind.MATCH, Kind.LABELS):
            return None
        key = next((kw.value for kw in node.keywords or [] if kw.arg == "key"), None)
        if not (isinstance(key, nodes.Lambda) and key.args.args):
            return None
        saved = dict(self.env)
        self.env[key.args.args[0].name] = replace(value, kind=Kind.LABEL, many=False, cond=None)
        scored = self.ev(key.body)
        self.env = saved
        if not (isinstance(scored, AV) and scored.kind == Kind.SCORE) or name != "max":
            return None
        if value.kind == Kind.MATCH:
            return replace(value, many=False) if value.cond is not None else None
        return value.narrowed(Kind.LABEL, loop=None).with_top_k(1)

    def ev_map(self, fn: nodes.NodeNG, seq: nodes.NodeNG) -> Value:
        value = self.ev(seq)
        if not (isinstance(value, AV) and value.kind in (Kind.LABELS, Kind.TEXTS)):
            return None
        if isinstance(fn, nodes.Lambda) and fn.args.args:
            param = fn.args.args[0].name
            saved = self.env.get(param)
            self.env[param] = replace(value, kind=Kind.LABEL if value.kind == Kind.LABELS else Kind.TEXT, loop=None)
            out = self.ev(fn.body)
            self.env[param] = saved
            if isinstance(out, AV) and out.kind == Kind.TEXT:
                return replace(value, kind=Kind.TEXTS, folded=out.folded)
        if isinstance(fn, nodes.Attribute) and fn.attrname in FOLD_METHODS and value.kind == Kind.TEXTS:
            return replace(value, folded=True)
        return None

    def ev_comp(self, node: nodes.ListComp | nodes.SetComp | nodes.GeneratorExp) -> Value:
        """Comprehensions over the labels: mapped (texts), filtered by score, or searched."""
        gens = node.generators
        if not gens:
            return None
        base = self.ev(gens[0].iter)
        if isinstance(base, AV) and base.kind == Kind.MATCH and base.many and len(gens) == 1 and not gens[0].ifs:
            # [l.description for l in found]: the same search result, re-shaped
            saved = dict(self.env)
            if isinstance(gens[0].target, nodes.AssignName):
                self.env[gens[0].target.name] = replace(base, kind=Kind.LABEL, many=False, cond=None)
            elt = self.ev(node.elt)
            self.env = saved
            if isinstance(elt, AV) and elt.kind in (Kind.TEXT, Kind.LABEL):
                return base
            return None
        if not (isinstance(base, AV) and base.kind in (Kind.LABELS, Kind.TEXTS)):
            # over constants: `any(word in text for word in WORDS)` is handled by truth();
            # `[w for w in WORDS if text == w.lower()]` is the same test, as a list
            if len(gens) == 1 and len(gens[0].ifs) == 1 and not isinstance(node, nodes.GeneratorExp):
                return self.truth_over_consts(gens, gens[0].ifs[0])
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
                    label_cond = c if label_cond is None else or_conds(label_cond, c)
                else:
                    reasons.append(f"filter {test.as_string()} is not understood")
            elt = self.ev(node.elt)
        finally:
            self.env = saved
        base = base.with_threshold(threshold)
        if label_cond is not None:
            label_cond = replace(label_cond, scope="any", loop=None, reasons=label_cond.reasons + tuple(reasons),
                                 threshold=max_known(label_cond.threshold, base.threshold),
                                 top_k=min_known(label_cond.top_k, base.top_k))
            if isinstance(elt, Cond) and elt.scope in ("label", "any"):
                label_cond = and_conds(label_cond, replace(elt, scope="any", loop=None))
            if isinstance(elt, AV) and elt.kind == Kind.SCORE:  # the scores of the matching labels
                return AV(Kind.SCORE, base.site, top_k=base.top_k, many=True, cond=label_cond, loop=loop)
            return AV(Kind.MATCH, base.site, top_k=base.top_k, many=True, cond=label_cond, loop=loop)
        if isinstance(elt, Cond) and elt.scope in ("label", "any"):
            # any(l.description in X for l in labels)
            return replace(elt, scope="any", loop=None, threshold=max_known(elt.threshold, base.threshold),
                           top_k=min_known(elt.top_k, base.top_k))
        if isinstance(elt, AV):
            if elt.kind == Kind.RECORD and any(isinstance(v, AV) and v.loop == loop for _, v in elt.fields or ()):
                # [{"name": l["Name"], ...} for l in labels]: the labels, repacked as dicts
                fields = tuple((k, replace(v, loop=None)) for k, v in elt.fields or ())
                return replace(base, kind=Kind.LABELS, loop=None, fields=fields)
            if elt.kind == Kind.TEXT:
                return replace(base, kind=Kind.TEXTS, folded=elt.folded, loop=None)
            if elt.kind == Kind.LABEL:
                return replace(base, kind=Kind.LABELS, loop=None)
        if isinstance(node.elt, nodes.Tuple):
            kinds = []
            for e in node.elt.elts:
                saved2 = dict(self.env)
                self.env = saved | {}
                self.bind_loop(gens[0].target, base, loop)
                v = self.ev(e)
                self.env = saved2
                kinds.append(("", v.kind if isinstance(v, AV) else Kind.OTHER))
            return replace(base, kind=Kind.LABELS, mapping=tuple(kinds), loop=None)
        return None

    def ev_dictcomp(self, node: nodes.DictComp) -> Value:
        gens = node.generators
        base = self.ev(gens[0].iter) if gens else None
        saved = dict(self.env)
        if not (isinstance(base, AV) and base.kind == Kind.LABELS):
            # {names[i]: scores[i] for i in range(len(names))}: keyed by label text all the same
            key = self.ev(node.key) if len(gens) == 1 else None
            self.env = saved
            if isinstance(key, AV) and key.kind == Kind.TEXT and key.loop is None:
                return replace(key, kind=Kind.TEXTS)
            return None
        loop = next(self.an.ids)
        self.bind_loop(gens[0].target, base, loop)
        threshold = None
        for test in gens[0].ifs:
            c = self.cond(test)
            if c is not None and c.scope == "score":
                threshold = c.threshold
        key, value = self.ev(node.key), self.ev(node.value)
        self.env = saved
        if not (isinstance(key, AV) and key.kind == Kind.TEXT):
            return None
        kind = Kind.SCOREMAP if isinstance(value, AV) and value.kind == Kind.SCORE else Kind.TEXTS
        return replace(base, kind=kind, folded=key.folded, loop=None).with_threshold(threshold)

    def ev_next(self, arg: nodes.NodeNG) -> Value:
        value = self.ev(arg) if not isinstance(arg, nodes.GeneratorExp) else self.ev_comp(arg)
        if isinstance(value, AV) and value.kind in (Kind.MATCH, Kind.SCORE) and value.cond is not None:
            return replace(value, many=False)
        return None

    def ev_app_call(self, node: nodes.Call) -> Value:
        func = self._resolve_callee(node)
        if func is None:
            # print(categorize(labels)): the arguments may still decide
            for arg in [*node.args, *(kw.value for kw in node.keywords or [])]:
                if isinstance(arg, nodes.Call):
                    self.ev(arg)
            return None
        params = [a.name for a in (func.args.posonlyargs or []) + (func.args.args or [])]
        env: dict[str, Value] = {}
        if params and params[0] in ("self", "cls") and isinstance(node.func, nodes.Attribute):
            params = params[1:]
            env.update(self._instance_env(node.func.expr, node))
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
        if not env and not self.reaches_sdk(func):
            return None
        result = self.an.run_function(func, env, consts)
        if result.predicate is not None:
            return result.predicate
        return next((v for v in reversed(result.returns) if v is not None), None)

    def _instance_env(self, expr: nodes.NodeNG, use: nodes.NodeNG) -> dict[str, Value]:
        """What `self.x` holds in a method called on `expr`: this instance's tracked
        attributes (`self.f()`), or the constructor's arguments stored by `__init__`
        (`Inspector(labels).pest()`, `x = Inspector(labels); x.pest()`)."""
        if _is_name(expr, "self"):
            return {k: v for k, v in self.env.items() if k.startswith("self.")}
        call = expr if isinstance(expr, nodes.Call) else None
        if isinstance(expr, nodes.Name):
            try:
                _, assigns = expr.lookup(expr.name)
            except Exception:
                return {}
            for assign in reversed(list(assigns)):
                parent = assign.parent
                if isinstance(parent, nodes.Assign) and isinstance(parent.value, nodes.Call):
                    call = parent.value
                break
        if call is None:
            return {}
        cls = self._instance_class(call, use)
        init = _method(cls, "__init__", self.const) if cls is not None else None
        if init is None:
            return {}
        params = [a.name for a in (init.args.posonlyargs or []) + (init.args.args or [])][1:]
        bound = {p: self.ev(a) for p, a in zip(params, call.args) if not isinstance(a, nodes.Starred)}
        bound.update({kw.arg: self.ev(kw.value) for kw in call.keywords or [] if kw.arg})
        out: dict[str, Value] = {}
        for assign in init.nodes_of_class(nodes.Assign):
            value = bound.get(assign.value.name) if isinstance(assign.value, nodes.Name) else None
            if value is None:
                continue
            for target in assign.targets:
                if isinstance(target, nodes.AssignAttr) and _is_name(target.expr, "self"):
                    out[f"self.{target.attrname}"] = value
        return out

    def reaches_sdk(self, func: nodes.FunctionDef, depth: int = 0) -> bool:
        """Does the function call an SDK method, itself or through the app's functions it
        calls (three levels)? Only then is a call without tracked arguments followed."""
        memo = self.an.reach
        if id(func) in memo:
            return memo[id(func)]
        memo[id(func)] = False  # recursion guard
        calls = list(func.nodes_of_class(nodes.Call))
        found = any(isinstance(c.func, nodes.Attribute) and c.func.attrname in METHODS for c in calls)
        if not found and depth < 3:
            for call in calls:
                if not isinstance(call.func, (nodes.Name, nodes.Attribute)):
                    continue
                callee = self._resolve_callee(call)
                if callee is not None and callee is not func and self.reaches_sdk(callee, depth + 1):
                    found = True
                    break
        memo[id(func)] = found
        return found

    def _resolve_callee(self, node: nodes.Call) -> nodes.FunctionDef | None:
        """The application's function or method a call runs, when the syntax tells."""
        func = node.func
        if isinstance(func, nodes.Attribute):
            cls = self._instance_class(func.expr, node)
            if cls is not None:
                return _method(cls, func.attrname, self.const)
            if isinstance(func.expr, nodes.Name) and func.expr.name in ("self", "cls"):
                return None
        if not isinstance(func, (nodes.Name, nodes.Attribute)):
            return None
        return self._own(func, nodes.FunctionDef)

    def _own(self, expr: nodes.NodeNG, kind: type) -> Any:
        """The application's own function or class (`kind`) that `expr` names, if it names one."""
        ref = self.const(expr)
        if isinstance(ref, Ref) and isinstance(ref.node, kind) and self.an.project.owns(ref.node):
            return ref.node
        return None

    def _instance_class(self, expr: nodes.NodeNG, use: nodes.NodeNG, depth: int = 0) -> nodes.ClassDef | None:
        """The app's class an expression is an instance of: `self`, `Sorter()`, a name or a
        `self.sorter` attribute bound to `Sorter(...)`."""
        if depth > 3:
            return None
        if isinstance(expr, nodes.Name) and expr.name in ("self", "cls"):
            frame = use.frame()
            cls = frame.parent if isinstance(frame, nodes.FunctionDef) else None
            return cls if isinstance(cls, nodes.ClassDef) else None
        if isinstance(expr, nodes.Call):
            return self._own(expr.func, nodes.ClassDef)
        if isinstance(expr, nodes.Name):
            try:
                _, assigns = expr.lookup(expr.name)
            except Exception:
                return None
            for assign in reversed(list(assigns)):
                parent = assign.parent
                if isinstance(parent, (nodes.Assign, nodes.AnnAssign)) and isinstance(parent.value, nodes.Call):
                    return self._instance_class(parent.value, parent, depth + 1)
            return None
        if isinstance(expr, nodes.Attribute) and _is_name(expr.expr, "self"):
            owner = self._instance_class(expr.expr, use, depth + 1)
            if owner is None:
                return None
            for assign in owner.nodes_of_class(nodes.AssignAttr):
                stmt = assign.parent
                if (
                    assign.attrname == expr.attrname
                    and isinstance(stmt, (nodes.Assign, nodes.AnnAssign))
                    and isinstance(stmt.value, nodes.Call)
                ):
                    return self._instance_class(stmt.value, stmt, depth + 1)
        return None


# ---------------------------------------------------------------------- helpers
def _is_name(node: nodes.NodeNG, name: str) -> bool:
    return isinstance(node, nodes.Name) and node.name == name


def _attr(base: AV, attr: str) -> Value:
    if base.kind == Kind.RESP and attr in LIST_ATTRS:
        return base.narrowed(Kind.LABELS)
    if base.kind == Kind.RESPS and attr == "responses":
        return base
    if base.kind == Kind.LABELS and attr in ("list", "values"):
        return base
    if base.kind == Kind.MATCH and not base.many and attr in TEXT_ATTRS:
        return base  # best.description: the chosen label's text
    if base.kind == Kind.LABEL:
        if attr in TEXT_ATTRS:
            return base.narrowed(Kind.TEXT)
        if attr in SCORE_ATTRS:
            return base.narrowed(Kind.SCORE)
    return None


def _field(base: AV, key: str) -> Value:
    """record["labels"], info["name"]: the value stored under a constant key (for a label
    repacked as a dict, bound to the loop over those dicts)."""
    for k, v in base.fields or ():
        if k == key:
            return replace(v, loop=base.loop) if base.kind == Kind.LABEL else v
    return None


def _method(cls: nodes.ClassDef, name: str, const: Any, depth: int = 0) -> nodes.FunctionDef | None:
    """A method of the app's class, or of one of its bases in the app."""
    for stmt in cls.body:
        if isinstance(stmt, nodes.FunctionDef) and stmt.name == name:
            return stmt
    if depth < 5:
        for base in cls.bases:
            ref = const(base)
            if isinstance(ref, Ref) and isinstance(ref.node, nodes.ClassDef) and ref.node is not cls:
                found = _method(ref.node, name, const, depth + 1)
                if found is not None:
                    return found
    return None


def _score_lookup(base: AV, key: str, node: nodes.NodeNG) -> AV:
    """`scores[key]` / `scores.get(key)` on a label -> score map: the score of one label."""
    cond = Cond("any", base.site, (key,), "casefold" if base.folded else "exact", top_k=base.top_k,
                threshold=base.threshold, lines=(loc(node),))
    return AV(Kind.SCORE, base.site, cond=cond)


__all__ = ["Expressions", "LIST_ATTRS"]
