"""Find the cloud vision SDK calls in an application and read what their requests set.

Recognized by method name (the SDK clients are rarely inferable statically): Google Cloud
Vision, Azure Computer Vision, Azure Image Analysis and AWS Rekognition. The request's
top-k and minimum confidence are part of the decision, so they are read here.
"""

from __future__ import annotations

from astroid import nodes

from chameleonapi.analysis.constants import EvalContext, is_unknown
from chameleonapi.analysis.facts import Site
from chameleonapi.analysis.project import Project
from chameleonapi.analysis.values import evaluate

METHODS: dict[str, str] = {
    **dict.fromkeys(
        ("label_detection", "annotate_image", "batch_annotate_images", "object_localization"), "google"
    ),
    **dict.fromkeys(
        (
            "tag_image",
            "tag_image_in_stream",
            "analyze_image",
            "analyze_image_in_stream",
            "detect_objects",
            "detect_objects_in_stream",
        ),
        "azure_cv",
    ),
    **dict.fromkeys(("analyze", "analyze_from_url"), "azure_ia"),
    "detect_labels": "aws",
}

GOOGLE_DEFAULT_K = 10  # the service's default maxResults for label and object detection
AWS_DEFAULT_MIN_CONFIDENCE = 55.0  # Rekognition's documented default MinConfidence


def find_sites(project: Project, module: nodes.Module) -> list[Site]:
    """Every SDK call in a module, in source order."""
    return [s for s in (site_of(project, c) for c in module.nodes_of_class(nodes.Call)) if s is not None]


def site_of(project: Project, call: nodes.Call) -> Site | None:
    """The SDK call this is, or None when it is something else."""
    func = call.func
    if not isinstance(func, nodes.Attribute) or func.attrname not in METHODS:
        return None
    provider = METHODS[func.attrname]
    if _is_app_method(call, func):
        return None
    source = project.sources.get(call.root().file or "<string>", "")
    if provider == "azure_ia" and not (
        "imageanalysis" in source or any(k.arg == "visual_features" for k in call.keywords or [])
    ):
        return None
    if provider == "aws" and "boto" not in source and not any(k.arg == "Image" for k in call.keywords or []):
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


def _site(project: Project, call: nodes.Call, provider: str, method: str) -> Site:
    file, line = project.location(call)
    ctx = EvalContext(project)
    reasons: list[str] = []
    top_k: int | None = None
    threshold: float | None = None

    def number(node: nodes.NodeNG, what: str) -> float | None:
        value = evaluate(node, ctx)
        if is_unknown(value) or not isinstance(value, (int, float)) or isinstance(value, bool):
            reasons.append(f"{what} is not a constant ({getattr(value, 'reason', value)})")
            return None
        return value

    if provider == "google":
        k_node = (
            _keyword(call, "max_results") if method in ("label_detection", "object_localization") else None
        )
        if k_node is None and method in ("annotate_image", "batch_annotate_images"):
            k_node = _find_max_results(call)
        if k_node is not None:
            k = number(k_node, "max_results")
            top_k = int(k) if k else (GOOGLE_DEFAULT_K if k == 0 else None)
        else:
            top_k = GOOGLE_DEFAULT_K
    elif provider == "aws":
        k_node, c_node = _keyword(call, "MaxLabels"), _keyword(call, "MinConfidence")
        if k_node is not None:
            k = number(k_node, "MaxLabels")
            top_k = int(k) if k is not None else None
        confidence = number(c_node, "MinConfidence") if c_node is not None else AWS_DEFAULT_MIN_CONFIDENCE
        threshold = round(confidence / 100.0, 6) if confidence is not None else None
    return Site(provider, method, file, line, top_k, threshold, tuple(reasons), node=call)


def _keyword(call: nodes.Call, name: str) -> nodes.NodeNG | None:
    for kw in call.keywords or []:
        if kw.arg == name:
            return kw.value
    return None


def _find_max_results(call: nodes.Call) -> nodes.NodeNG | None:
    """max_results inside a request built inline or in variables (dicts or Feature(...))."""
    pending: list[nodes.NodeNG] = [*call.args, *(kw.value for kw in call.keywords or [])]
    seen = 0
    while pending and seen < 200:
        node = pending.pop(0)
        seen += 1
        if isinstance(node, nodes.Dict):
            for key, value in node.items:
                if isinstance(key, nodes.Const) and key.value in ("max_results", "maxResults"):
                    return value
                pending.append(value)
        elif isinstance(node, nodes.Call):
            for kw in node.keywords or []:
                if kw.arg in ("max_results", "maxResults"):
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
