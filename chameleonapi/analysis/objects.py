"""Object-count decisions: how many of the reported objects of some classes, compared with what.

Detection applications decide from counts ("more than 3 sheep", "how many zebras and
giraffes"): a filtered list, a `sum(1 for ...)` or a counter incremented in a loop over
`localized_object_annotations` / Azure `objects`, then compared with a constant (or used as
is). The general analysis reads presence tests; this pass, within the function holding the
call, finds the count, its filter (names checked, score threshold) and its comparison, and
describes it as a spec with `target="objects"`, `count_op` and `count`.
"""

from __future__ import annotations

from collections.abc import Iterable

from astroid import nodes

from chameleonapi import services
from chameleonapi.analysis.constants import EvalContext, is_unknown
from chameleonapi.analysis.facts import Site
from chameleonapi.analysis.project import Project
from chameleonapi.analysis.values import evaluate
from chameleonapi.decisions import Shape, claim
from chameleonapi.spec import Category, DecisionSpec, SourceLocation

OBJECT_METHODS = tuple(m for d in services.descriptors() for m in d.object_methods)
NAME_ATTRS = ("name", "object_property")
SCORE_ATTRS = ("score", "confidence")
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}
_FOLDS = ("lower", "casefold", "upper")


class _Filter:
    """What one count keeps: the labels its names are tested against, threshold, folding."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.threshold: float | None = None
        self.folded = False
        self.lines: list[int] = []
        self.unknown: list[str] = []


def object_specs(project: Project, sites: Iterable[Site]) -> list[DecisionSpec]:
    """One spec per count decision made from an object-detection call."""
    specs: list[DecisionSpec] = []
    for site in sites:
        if site.method not in OBJECT_METHODS or site.node is None:
            continue
        try:
            specs.extend(_specs_for_site(project, site))
        except RecursionError:  # pragma: no cover - pathological code
            continue
    return specs


def merge(specs: list[DecisionSpec], counted: list[DecisionSpec]) -> list[DecisionSpec]:
    """Count specs replace presence readings of the same tests at the same call."""
    if not counted:
        return specs
    taken = {(str(s.call), line.line) for s in counted for line in s.conditions}
    kept = [s for s in specs if not any((str(s.call), c.line) in taken for c in s.conditions)]
    return sorted(kept + counted, key=lambda s: (s.call.file if s.call else "", s.call.line if s.call else 0,
                                                 s.conditions[0].line if s.conditions else 0))


# ----------------------------------------------------------------- per call site
def _specs_for_site(project: Project, site: Site) -> list[DecisionSpec]:
    call = site.node
    scope = call.frame()
    ctx = EvalContext(project)
    sources = _source_names(scope, call)
    out = []
    for count_node, filt, var_name in _counts(scope, call, sources, ctx):
        if not filt.labels:
            continue
        op, number, at = _comparison(scope, count_node, var_name, ctx)
        name = var_name or (scope.name if isinstance(scope, nodes.FunctionDef) else "count")
        conditions = sorted(set(filt.lines + ([at] if at else [])))
        kind = claim(Shape(categories=1, target="objects"))
        spec = DecisionSpec(
            kind=kind.spec_kind,
            order=kind.order_for("category"),
            categories=[Category(name, tuple(dict.fromkeys(filt.labels)))],
            match="casefold" if filt.folded else "exact",
            threshold=filt.threshold,
            top_k=site.top_k,
            provider=site.provider,
            method=site.method,
            call=SourceLocation(site.file, site.line),
            conditions=[SourceLocation(site.file, line) for line in conditions],
            partial=bool(filt.unknown),
            reasons=list(filt.unknown),
            target="objects",
            count_op=op,
            count=number,
        )
        if op is None:
            spec.warnings.append("the application uses the object count itself; decide() reports presence")
        out.append(spec)
    return out


def _contains(node: nodes.NodeNG, target: nodes.NodeNG) -> bool:
    return node is target or any(n is target for n in node.nodes_of_class(type(target)))


def _source_names(scope: nodes.NodeNG, call: nodes.Call) -> set[str]:
    """Variables holding the response or its object list (assignment chains in the scope)."""
    names: set[str] = set()
    changed = True
    while changed:
        changed = False
        for assign in scope.nodes_of_class(nodes.Assign):
            if _contains(assign.value, call) or (_mentions(assign.value, names) and not _is_count(assign.value)):
                for target in assign.targets:
                    if isinstance(target, nodes.AssignName) and target.name not in names:
                        names.add(target.name)
                        changed = True
    return names


def _mentions(node: nodes.NodeNG, names: set[str]) -> bool:
    if not names:
        return False
    if isinstance(node, nodes.Name):
        return node.name in names
    if isinstance(node, nodes.Attribute):
        return _mentions(node.expr, names)
    return False


def _is_count(node: nodes.NodeNG) -> bool:
    return isinstance(node, (nodes.ListComp, nodes.GeneratorExp, nodes.SetComp, nodes.Call))


def _over_response(node: nodes.NodeNG, call: nodes.Call, sources: set[str]) -> bool:
    """Does iterating `node` iterate the reported objects?"""
    return _contains(node, call) or _mentions(node, sources)


def _counts(scope, call, sources, ctx):
    """(count expression, filter, variable holding the count) for each count in the scope."""
    found = []
    for comp in scope.nodes_of_class((nodes.ListComp, nodes.GeneratorExp, nodes.SetComp)):
        if not comp.generators:
            continue
        gen = comp.generators[0]
        if not (_over_response(gen.iter, call, sources) and isinstance(gen.target, nodes.AssignName)):
            continue
        filt = _Filter()
        for test in gen.ifs:
            _read_test(test, gen.target.name, filt, ctx)
        parent = comp.parent
        if (isinstance(parent, nodes.Call) and isinstance(parent.func, nodes.Name)
                and parent.func.name in ("len", "sum")):
            found.append((parent, filt, _assigned_to(parent)))
        elif isinstance(parent, nodes.Assign) and isinstance(parent.targets[0], nodes.AssignName):
            var = parent.targets[0].name
            for use in scope.nodes_of_class(nodes.Call):
                if (isinstance(use.func, nodes.Name) and use.func.name == "len" and len(use.args) == 1
                        and isinstance(use.args[0], nodes.Name) and use.args[0].name == var):
                    found.append((use, filt, _assigned_to(use) or var))
    for loop in scope.nodes_of_class(nodes.For):
        if not (_over_response(loop.iter, call, sources) and isinstance(loop.target, nodes.AssignName)):
            continue
        element = loop.target.name
        for aug in loop.nodes_of_class(nodes.AugAssign):
            if aug.op != "+=" or not isinstance(aug.target, nodes.AssignName):
                continue
            filt = _Filter()
            node = aug.parent
            while node is not None and node is not loop:
                if isinstance(node, nodes.If):
                    _read_test(node.test, element, filt, ctx)
                node = node.parent
            found.append((aug, filt, aug.target.name))
    return found


def _assigned_to(node: nodes.NodeNG) -> str | None:
    """The variable `node` is assigned to (`n = len(found)`), if any."""
    holder = node.parent
    if isinstance(holder, nodes.Assign) and isinstance(holder.targets[0], nodes.AssignName):
        return holder.targets[0].name
    return None


def _elem_attr(node: nodes.NodeNG, element: str) -> tuple[str | None, bool]:
    """(attribute read from the element, folded?) for `o.name`, `o.name.lower()`."""
    folded = False
    if isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute) and node.func.attrname in _FOLDS:
        node, folded = node.func.expr, True
    if isinstance(node, nodes.Attribute) and isinstance(node.expr, nodes.Name) and node.expr.name == element:
        return node.attrname, folded
    return None, folded


def _read_test(test: nodes.NodeNG, element: str, filt: _Filter, ctx: EvalContext) -> None:
    if isinstance(test, nodes.BoolOp) and test.op == "and":
        for value in test.values:
            _read_test(value, element, filt, ctx)
        return
    if not isinstance(test, nodes.Compare) or len(test.ops) != 1:
        return
    op, right = test.ops[0]
    left = test.left
    attr, folded = _elem_attr(left, element)
    if attr is None:  # constant on the left: `0.5 < o.score`, `"Sheep" == o.name`
        attr, folded = _elem_attr(right, element)
        if attr is None:
            return
        left, right = right, left
        op = _FLIP.get(op, op)
    value = evaluate(right, ctx)
    filt.lines.append(test.lineno)
    if attr in NAME_ATTRS:
        filt.folded = filt.folded or folded
        if is_unknown(value):
            filt.unknown.append(f"line {test.lineno}: the object names are not constants")
        elif op == "==" and isinstance(value, str):
            filt.labels.append(value)
        elif op == "in" and isinstance(value, (tuple, list, set, frozenset)):
            filt.labels.extend(v for v in value if isinstance(v, str))
    elif attr in SCORE_ATTRS and op in (">", ">=") and isinstance(value, (int, float)):
        filt.threshold = float(value)


def _comparison(scope, count_node, var_name, ctx) -> tuple[str | None, int | None, int | None]:
    """(op, constant, line) of the test the count is used in, or (None, None, None)."""
    for cmp in scope.nodes_of_class(nodes.Compare):
        if len(cmp.ops) != 1:
            continue
        op, right = cmp.ops[0]
        if op not in _FLIP:
            continue
        left = cmp.left
        if _is_the_count(left, count_node, var_name):
            value = evaluate(right, ctx)
        elif _is_the_count(right, count_node, var_name):
            value, op = evaluate(left, ctx), _FLIP[op]
        else:
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return op, int(value), cmp.lineno
    return None, None, None


def _is_the_count(node, count_node, var_name) -> bool:
    if node is count_node:
        return True
    return var_name is not None and isinstance(node, nodes.Name) and node.name == var_name
