"""Follow an API response through an application's code to the tests that decide.

A small abstract interpreter over the syntax: `Walker` walks each function's statements in
order (`statements`), tracks which names hold the response, its labels, a label's text or
score (`expressions`), turns comparisons into label tests (`conditions`) and records what
each guarded branch does (`facts.Rule`). Calls into the application's own functions are
followed with the arguments bound, so helpers in other modules, label lists passed as
arguments and predicates are covered.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from astroid import nodes

from chameleonapi.analysis.budget import BudgetExceeded
from chameleonapi.analysis.conditions import Conditions, or_conds
from chameleonapi.analysis.constants import EvalContext, Unknown
from chameleonapi.analysis.expressions import Expressions
from chameleonapi.analysis.facts import AV, FINAL, Cond, Effect, Kind, Outcome, Rule, Site, State, Value, loc
from chameleonapi.analysis.project import Project
from chameleonapi.analysis.sdk import site_of
from chameleonapi.analysis.statements import Statements, _name
from chameleonapi.analysis.values import evaluate

MAX_CALL_DEPTH = 6


@dataclass
class FuncResult:
    returns: list[Value] = field(default_factory=list)
    return_nodes: list[nodes.Return] = field(default_factory=list)
    predicate: Cond | None = None  # the function answers a label test with True/False


@dataclass
class Decision:
    """The rules found in one function (called with one set of bound arguments)."""

    func: nodes.NodeNG
    name: str
    rules: list[Rule]
    flag_names: dict[str, str]
    key: tuple
    predicate: bool = False


class Analyzer:
    """Shared across one analysis run: memoized calls, collected decisions."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.deadline = project.deadline
        self.decisions: list[Decision] = []
        self.memo: dict[tuple, FuncResult] = {}
        self.consumed: set[int] = set()  # ids of predicate functions whose test is decided by a caller
        self.sites: dict[int, Site | None] = {}
        self.reach: dict[int, bool] = {}  # function id -> calls an SDK method (Walker.reaches_sdk)
        self.ids = itertools.count(1)
        self.depth = 0
        self.notes: dict[tuple[str, int], str] = {}  # what was seen but is not expressed, once each
        self.errors: dict[tuple[str, str], str] = {}  # functions that failed to analyze, once each

    def site(self, call: nodes.Call) -> Site | None:
        key = id(call)
        if key not in self.sites:
            self.sites[key] = site_of(self.project, call)
        return self.sites[key]

    def run_function(self, func: nodes.NodeNG, env: dict[str, Value] | None = None,
                     consts: dict[str, Any] | None = None) -> FuncResult:
        env, consts = env or {}, consts or {}
        key = (id(func), tuple(sorted((k, repr(v)) for k, v in env.items())), repr(sorted(consts.items(), key=str)))
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = FuncResult()  # recursion guard
        if self.depth > MAX_CALL_DEPTH:
            return self.memo[key]
        self.depth += 1
        decisions = len(self.decisions)
        try:
            walker = Walker(self, func, dict(env), dict(consts), key)
            if not env and not consts and not walker.reaches_sdk(func):
                return self.memo[key]  # nothing tracked comes in and no SDK call is reached
            result = walker.run()
        except BudgetExceeded:
            raise
        except (Exception, RecursionError) as exc:  # one function's failure loses that function only
            del self.decisions[decisions:]
            where = f"{func.root().file or '<string>'}:{func.lineno or 0}"
            name = func.name if isinstance(func, nodes.FunctionDef) else "module level"
            self.errors.setdefault((where, name), f"{where}: {name} could not be analyzed ({type(exc).__name__}); "
                                                  "it is skipped")
            return self.memo[key]
        finally:
            self.depth -= 1
        self.memo[key] = result
        return result


class Walker(Statements, Expressions, Conditions):
    """Interprets one function (with bound arguments) and records its decision rules."""

    def __init__(self, an: Analyzer, func: nodes.NodeNG, env: dict[str, Value], consts: dict[str, Any], key: tuple):
        self.an = an
        self.func = func
        self.env = env
        self.consts = consts
        self.key = key
        self.rules: list[Rule] = []
        self.flags: dict[str, Cond] = {}  # flag variables set to True under label tests
        self.tested_flags: set[str] = set()  # ... and later tested: the test decides, not the flag
        self.result = FuncResult()
        self.seq = itertools.count()

    # ------------------------------------------------------------------ driver
    def run(self) -> FuncResult:
        body = self.func.body if isinstance(self.func, (nodes.FunctionDef, nodes.Module)) else []
        self.walk(body, State())
        name = self.func.name if isinstance(self.func, nodes.FunctionDef) else "match"
        for ret, value in zip(self.result.return_nodes, self.result.returns):
            if self._final_return(ret, value):
                continue
            if ret.value is not None:
                self.record_flags(ret.value, loc(ret))
        self._label_flags()
        self._tested_flags()
        self.result.predicate = self._predicate()
        if self.rules:
            predicate = self.result.predicate is not None
            self.an.decisions.append(Decision(self.func, name, self.rules, self._flag_names(), self.key, predicate))
        return self.result

    def _tested_flags(self) -> None:
        """`found = True` under a label test, then `if found: <outcome>`: the outcome under the
        flag's test is the decision and the flag's assignments are dropped. When that test only
        reports or leaves (`if found: print(...)`, `if a or b: break`), the flag itself stays
        the outcome and what the test did is dropped instead."""
        deciding = {name for r in self.rules if not _reports_only(r.effect) for name in r.cond.flags}
        self.rules = [
            r
            for r in self.rules
            if not (
                r.effect.kind == "set"
                and r.effect.target in self.tested_flags & deciding
                and r.effect.outcome == Outcome("const", True)
            )
            and not (r.cond.flags and not deciding.issuperset(r.cond.flags))
        ]

    def _predicate(self) -> Cond | None:
        """`for l in labels: if <test>: return True` then `return False` (or the reverse):
        the function is a label test its callers decide with."""
        if not self.rules or not isinstance(self.func, nodes.FunctionDef):
            return None
        values = {r.effect.outcome.value for r in self.rules}
        if any(r.effect.kind != "return" or r.effect.outcome.kind != "const" for r in self.rules):
            return None
        if len(values) != 1 or next(iter(values)) not in (True, False):
            return None
        polarity = next(iter(values))
        last = [self.const(ret.value) for ret in self.result.return_nodes if ret.value is not None]
        if not last or any(v is polarity or not isinstance(v, bool) for v in last):
            return None
        cond = self.rules[0].cond
        for rule in self.rules[1:]:
            cond = or_conds(cond, rule.cond)
        cond = replace(cond, scope="any", loop=None, via=cond.via + (id(self.func),))
        return cond if polarity else replace(cond, negated=True)

    def _label_flags(self) -> None:
        """`hit = label; break` then `if hit:`, or matching labels collected and then only
        tested: the label is a flag, unless the function returns it or looks something up
        with it."""
        for rule in self.rules:
            effect = rule.effect
            if (
                effect.kind in ("set", "add")
                and effect.target
                and rule.seq < FINAL
                and effect.outcome.kind == "label"
                and not _flows_out(self.func, effect.target, effect.line)
            ):
                rule.effect = replace(effect, outcome=Outcome("const", True))

    def _nested_match(self, node: nodes.NodeNG | None, depth: int = 0) -> AV | None:
        """A search result inside what is returned: a call's argument, a dict literal's value,
        a tuple element (`JsonResponse({"matches": found})`, `{"loc": next(...)}`)."""
        if node is None or depth > 4:
            return None
        found = self.ev(node) if depth else None
        if found is not None:
            ok = isinstance(found, AV) and found.kind == Kind.MATCH and found.cond is not None
            return found if ok and isinstance(found, AV) else None
        if isinstance(node, nodes.Call):
            parts = [*node.args, *(kw.value for kw in node.keywords or [])]
        elif isinstance(node, nodes.Dict):
            parts = [v for _, v in node.items]
        elif isinstance(node, (nodes.Tuple, nodes.List)):
            parts = list(node.elts)
        else:
            return None
        for part in parts:
            found = self._nested_match(part, depth + 1)
            if found is not None:
                return found
        return None

    def _final_return(self, ret: nodes.Return, value: Value) -> bool:
        """An unguarded `return <test>` or `return <search result>` is itself a decision;
        so is a search result handed to what the function returns
        (`return render_template("r.html", labels=found)`, `jsonify(found)`,
        `{"loc": next(...)}`). True when the returned value is a label search result."""
        line = loc(ret)
        nested = False
        record = isinstance(value, AV) and value.kind == Kind.RECORD
        if (value is None or record) and isinstance(ret.value, (nodes.Call, nodes.Dict, nodes.Tuple, nodes.List)):
            found = self._nested_match(ret.value)
            if found is not None:
                value, nested = found, True
        if isinstance(value, Cond) and value.via and isinstance(ret.value, nodes.Call):
            return False  # `return contains_any(...)`: the predicate's own decision stands
        if isinstance(value, Cond) and value.scope == "any":
            self._add_rule(value, Effect("return", "", Outcome("const", True), True, line), State(), final=True)
        elif isinstance(value, AV) and value.kind in (Kind.MATCH, Kind.MAPPED) and value.cond is not None:
            many, cond = value.many, value.cond
            if not many and value.loop is not None:
                cond = replace(cond, scope="label", loop=value.loop)
            outcome = Outcome("map", cond.mapping) if cond.mapping else Outcome("label")
            kind = "add" if many else "return"
            target = ret.value.name if isinstance(ret.value, nodes.Name) else ""
            self._add_rule(cond, Effect(kind, target, outcome, not many, line), State(), final=True)
            return nested
        return False

    def record_flags(self, node: nodes.NodeNG, line: int) -> None:
        """`return {"indoor": "indoor" in names, ...}` or `Result(threat=bool(hits))`: each test
        is one selected category."""
        if isinstance(node, nodes.Dict):
            items = [(self.const(k), v) for k, v in node.items]
        elif isinstance(node, (nodes.Tuple, nodes.List)):
            items = [(_name(e), e) for e in node.elts]
        elif isinstance(node, nodes.Call):  # Result(threat=bool(hits), ...)
            items = [(kw.arg, kw.value) for kw in node.keywords or [] if kw.arg]
        else:
            return
        for name, value_node in items:
            value = self.ev(value_node)
            if isinstance(value, AV) and (value.kind == Kind.COUNT or (value.kind == Kind.MATCH and value.many)):
                continue  # a count or the list of matches handed over, not a flag
            cond = self.truthy(value)
            if cond is not None and not cond.negated and cond.scope in ("any", "label") and isinstance(name, str):
                self._add_rule(cond, Effect("add", "", Outcome("const", name), False, line), State(), final=True)

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


def _flows_out(func: nodes.NodeNG, name: str, line: int) -> bool:
    """Does the value of `name` (set at `line`) reach a return or a lookup key? (Printing or
    storing it is a record of the label, not a choice among labels.)"""
    names = {name}
    later = [n for n in func.nodes_of_class(nodes.Assign) if (n.lineno or 0) > line]
    for stmt in later:  # game_name = game_label.description
        if _base_name(stmt.value) in names:
            names.update(t.name for t in stmt.targets if isinstance(t, nodes.AssignName))
    for node in func.nodes_of_class((nodes.Return, nodes.Yield, nodes.Subscript)):
        if (node.lineno or 0) <= line:
            continue
        if isinstance(node, (nodes.Return, nodes.Yield)) and _carries(node.value, names):
            return True
        if isinstance(node, nodes.Subscript) and _base_name(node.slice) in names:
            return True
    return False


def _reports_only(effect: Effect) -> bool:
    """A branch that prints or stores only, or a bare `return`: no outcome of its own."""
    if effect.kind == "call" and effect.outcome.kind == "branch":
        return True
    return effect.kind == "return" and effect.outcome == Outcome("const", None)


def _base_name(node: nodes.NodeNG) -> str | None:
    """`hit.description.lower()` -> "hit": the name a value is read from directly."""
    while True:
        if isinstance(node, nodes.Name):
            return node.name
        if isinstance(node, nodes.Attribute):
            node = node.expr
        elif isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute) and not node.args:
            node = node.func.expr
        else:
            return None


def _carries(node: nodes.NodeNG | None, names: set[str]) -> bool:
    """Is the value itself (or an element of a returned tuple, list or dict) one of `names`?
    A label pasted into a URL or a message is not a returned category."""
    if node is None:
        return False
    if isinstance(node, (nodes.Tuple, nodes.List)):
        return any(_carries(e, names) for e in node.elts)
    if isinstance(node, nodes.Dict):
        return any(_carries(v, names) for _, v in node.items)
    if (isinstance(node, nodes.Call) and isinstance(node.func, nodes.Name) and node.func.name in _SAME_ITEMS
            and node.args):
        return _carries(node.args[0], names)  # `return sorted(seen)`: the same labels, reordered
    if isinstance(node, nodes.Call):  # return render_template("r.html", result=result), jsonify(found)
        return any(_carries(a, names) for a in [*node.args, *(kw.value for kw in node.keywords or [])])
    return _base_name(node) in names


# Builtins that hand back the items they are given (reordered or in another container).
_SAME_ITEMS = frozenset({"sorted", "list", "tuple", "set", "frozenset", "reversed"})


__all__ = ["Analyzer", "Decision", "FuncResult", "Walker"]
