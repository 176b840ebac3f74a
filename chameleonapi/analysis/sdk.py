"""Find the cloud vision SDK calls in an application and read what their requests set.

Recognized by method name (the SDK clients are rarely inferable statically), as each
provider's descriptor lists them: Google Cloud Vision, Azure Computer Vision, Azure Image
Analysis and AWS Rekognition. The request's top-k and minimum confidence are part of the
decision, so they are read here, from the request fields the descriptor names.
"""

from __future__ import annotations

from astroid import nodes

from chameleonapi import services
from chameleonapi.analysis.constants import EvalContext, is_unknown
from chameleonapi.analysis.facts import Site
from chameleonapi.analysis.project import Project
from chameleonapi.analysis.values import evaluate

# SDK method name -> provider name, from the provider registry (method names do not overlap).
METHODS: dict[str, str] = {method: d.name for d in services.descriptors() for method in d.methods}


def find_sites(project: Project, module: nodes.Module) -> list[Site]:
    """Every SDK call in a module, in source order."""
    return [s for s in (site_of(project, c) for c in module.nodes_of_class(nodes.Call)) if s is not None]


def site_of(project: Project, call: nodes.Call) -> Site | None:
    """The SDK call this is, or None when it is something else."""
    func = call.func
    if not isinstance(func, nodes.Attribute) or func.attrname not in METHODS:
        return None
    provider = services.descriptor(METHODS[func.attrname])
    if _is_app_method(call, func):
        return None
    if provider.source_hints or provider.call_keywords:
        source = project.sources.get(call.root().file or "<string>", "")
        if not any(hint in source for hint in provider.source_hints) and not any(
            k.arg in provider.call_keywords for k in call.keywords or []
        ):
            return None
    return _site(project, call, provider, func.attrname)


def _is_app_method(call: nodes.Call, func: nodes.Attribute) -> bool:
    """`self.detect_labels(...)` where the app's own class defines it is a wrapper, not the SDK."""
    if not (isinstance(func.expr, nodes.Name) and func.expr.name in ("self", "cls")):
        return False
    scope = call.frame()
    cls = scope.parent if isinstance(scope, nodes.FunctionDef) else None
    return isinstance(cls, nodes.ClassDef) and any(
        isinstance(m, nodes.FunctionDef) and m.name == func.attrname for m in cls.body
    )


def _site(project: Project, call: nodes.Call, provider: services.ProviderDescriptor, method: str) -> Site:
    file, line = project.location(call)
    ctx = EvalContext(project)
    reasons: list[str] = []
    top_k: int | None = provider.default_top_k
    threshold: float | None = provider.default_threshold

    def number(node: nodes.NodeNG, what: str) -> float | None:
        value = evaluate(node, ctx)
        if is_unknown(value) or not isinstance(value, (int, float)) or isinstance(value, bool):
            reasons.append(f"{what} is not a constant ({getattr(value, 'reason', value)})")
            return None
        return value

    if provider.top_k_param is not None:
        k_node = _keyword(call, provider.top_k_param)
        if k_node is None:
            k_node = _find_param(call, _spellings(provider.top_k_param))
        if k_node is not None:
            k = number(k_node, provider.top_k_param)
            # 0 asks for the service's default where it has one (Google's maxResults)
            top_k = None if k is None else (provider.default_top_k if k == 0 and provider.default_top_k else int(k))
    if provider.threshold_param is not None:
        c_node = _keyword(call, provider.threshold_param)
        if c_node is not None:
            confidence = number(c_node, provider.threshold_param)
            threshold = None if confidence is None else round(confidence / provider.score_scale, 6)
    return Site(provider.name, method, file, line, top_k, threshold, tuple(reasons), node=call)


def _spellings(param: str) -> tuple[str, ...]:
    """A request field as Python keywords and REST JSON spell it (`max_results`, `maxResults`)."""
    head, *rest = param.split("_")
    return (param, head + "".join(part.title() for part in rest))


def _keyword(call: nodes.Call, name: str) -> nodes.NodeNG | None:
    for kw in call.keywords or []:
        if kw.arg == name:
            return kw.value
    return None


def _find_param(call: nodes.Call, names: tuple[str, ...]) -> nodes.NodeNG | None:
    """A request field inside a request built inline or in variables (dicts or Feature(...))."""
    pending: list[nodes.NodeNG] = [*call.args, *(kw.value for kw in call.keywords or [])]
    seen = 0
    while pending and seen < 200:
        node = pending.pop(0)
        seen += 1
        if isinstance(node, nodes.Dict):
            for key, value in node.items:
                if isinstance(key, nodes.Const) and key.value in names:
                    return value
                pending.append(value)
        elif isinstance(node, nodes.Call):
            for kw in node.keywords or []:
                if kw.arg in names:
                    return kw.value
                pending.append(kw.value)
            pending.extend(node.args)
        elif isinstance(node, (nodes.List, nodes.Tuple)):
            pending.extend(node.elts)
        elif isinstance(node, nodes.Name):
            try:
                _, assigns = node.lookup(node.name)
            except Exception:
                continue
            for assign in assigns:
                parent = assign.parent
                if isinstance(parent, nodes.Assign):
                    pending.append(parent.value)
    return None
