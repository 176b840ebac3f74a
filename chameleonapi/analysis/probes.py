"""Decisions read from what the application does on hypothetical responses.

For one SDK call, the application's own code is interpreted (`concrete`) from an entry
point that reaches the call, once per probe: a response holding no label, an unknown
label, each constant the labels are compared with, pairs of them, the same label at lower
scores, further down the list, in other letter cases, or as several objects. Every run gives
a trace of observable effects (calls of unknown functions such as `print` or `led.on()`,
values written outside, the value returned, an exception). A label is a decision label when
its trace differs from the unknown label's; labels with equal traces form one category; how
pairs of categories combine gives the kind (one trace wins: multi-choice; both effects:
multi-select) and the order; the lowest score and the lowest position that still change the
trace give the threshold and top-k. So a code shape is covered when the interpreter covers
the Python it is written in, not when a pattern for it exists.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chameleonapi import services
from chameleonapi.analysis.concrete import (
    RUNTIME_MARK,
    AppRaise,
    ClassV,
    Func,
    Interpreter,
    LNum,
    LStr,
    ModuleV,
    Opaque,
    Rec,
    Stop,
    render,
)
from chameleonapi.spec import Category, DecisionSpec, SourceLocation

NEUTRAL = "Zqxvw"
HIGH = 0.95
MAX_CANDIDATES = 48
OBJECT_METHODS = {"object_localization", "detect_objects", "detect_objects_in_stream"}
MANY = 6  # objects of one label in a probe that asks whether a number of them decides


def _counts_objects(runner: ProbeRunner) -> bool:
    site = runner.site
    return site.method in OBJECT_METHODS or runner.channel == "objects"


@dataclass
class Probe:
    labels: list[tuple[str, float, int]]  # text, score on 0-1, object count

    def key(self) -> tuple:
        return tuple(self.labels)


# Effects that show text to a person: print, logging, text drawn on an image.
DISPLAY = re.compile(r"print\(|call \S*?\.(putText|text\w*|info|debug|warning|warn|error|log|write)\(")


@dataclass
class Outcome:
    trace: str  # the effects, label text shown as <L>, scores as <S>
    raw: str  # the same with label text as it is
    returned: str  # the value returned, label text as it is
    ret: str  # the value returned, label text as <L>
    reached: bool
    compared: set[str] = field(default_factory=set)
    unresolved: bool = False
    stopped: bool = False


@dataclass
class SiteRef:
    provider: str
    method: str
    file: str
    line: int
    top_k: int | None
    threshold: float | None


class ProbeRunner:
    """Runs the application's code for one SDK call on probe responses."""

    def __init__(self, modules: dict[str, tuple[str, ast.Module]], sdk_nodes: dict[int, SiteRef], target: ast.Call,
                 live: Callable[[str], Any] | None, main_module: str, deadline: Callable[[], bool]) -> None:
        self.modules = modules
        self.sdk_nodes = sdk_nodes
        self.target = target
        self.site = sdk_nodes[id(target)]
        self.live = live
        self.main_module = main_module
        self.deadline = deadline
        self.entry: tuple | None = None
        self.view: Callable[[Outcome], str] = lambda out: out.trace
        self.channel = "both"  # which lists of a labels-and-objects response hold the probe
        self.many = 1  # objects per probe label (more where only a number of them decides)
        self.find_module: Callable[[str], tuple[str, ast.Module] | None] = lambda name: None
        self.cache: dict[tuple, Outcome] = {}
        self.background: list[tuple[str, float, int]] = []  # labels every probe also holds
        self._armed = [False]

    # ------------------------------------------------------------------ one run
    def run(self, probe: Probe) -> Outcome:
        key = (probe.key(), self.entry, tuple(self.background))
        if key in self.cache:
            return self.cache[key]
        if self.deadline():
            raise Stop("time budget")
        hits = [0]
        armed = [self.entry is not None and self.entry[0] == "module"]
        self._armed = armed

        def answer(node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
            ref = self.sdk_nodes[id(node)]
            if node is self.target and armed[0]:
                hits[0] += 1
                return response(ref, [*probe.labels, *self.background], self.channel)
            return response(ref, [])

        interp = Interpreter(self.modules, answer, lambda n: id(n) in self.sdk_nodes, self.live)
        interp.main_module = self.main_module
        interp.find_module = self.find_module
        value: Any = None
        ended = ""
        stopped = False
        try:
            value = self.start(interp)
        except AppRaise as exc:
            ended = f"raise {render(exc.value)}"
        except (Stop, RecursionError):
            stopped = True
        except Exception as exc:  # the interpreter's own limits: this run is not used
            stopped = True
            ended = type(exc).__name__
        returned = render(value, raw=True)
        raw = "\n".join([*interp.raw_events, f"return {returned}", ended])
        trace = "\n".join([*interp.events, f"return {render(value)}", ended])
        out = Outcome(trace, raw, returned, render(value), hits[0] > 0, set(interp.compared), bool(interp.unresolved), stopped)
        self.cache[key] = out
        return out

    def start(self, interp: Interpreter) -> Any:
        assert self.entry is not None
        kind = self.entry[0]
        if kind == "module":
            interp.module(self.entry[1], as_main=True)
            return None
        _, modname, path = self.entry
        mod = interp.module(modname)
        interp.events.clear()  # what loading the module does is not this entry's outcome
        interp.raw_events.clear()
        interp.compared.clear()
        self._armed[0] = True
        obj: Any = mod.globals.get(path[0])
        if len(path) == 2:
            if not isinstance(obj, ClassV):
                raise Stop("no class")
            inst = interp.instantiate(obj, [Opaque(f"arg{i}") for i in range(_arity(obj.lookup("__init__")))], {})
            obj = interp.attr(inst, path[1], self.target)
        if not isinstance(obj, Func):
            raise Stop("no function")
        n = _arity(obj)
        return interp.call_func(obj, [Opaque(f"arg{i}") for i in range(n)], {})


def _arity(func: Any) -> int:
    if not isinstance(func, Func):
        return 0
    args = func.node.args
    n = len(args.posonlyargs) + len(args.args) - len(func.defaults)
    return max(0, n - (1 if func.self_value is not None or func.owner is not None else 0))


# ---------------------------------------------------------------------- responses
def response(ref: SiteRef, labels: list[tuple[str, float, int]], channel: str = "both") -> Any:
    """A response of the site's SDK holding these labels (text, score 0-1, objects), in its
    label list, its object list or both (`channel`)."""
    in_labels = channel in ("labels", "both")
    in_objects = channel in ("objects", "both")
    scale = services.descriptor(ref.provider).score_scale
    if ref.provider == "aws":
        items = []
        for text, score, count in labels:
            inst = [{"BoundingBox": {"Width": 0.2, "Height": 0.2, "Left": 0.1 + 0.05 * i, "Top": 0.1},
                     "Confidence": LNum(score * 100)} for i in range(count if count > 1 or _objects(ref) else 0)]
            items.append({"Name": LStr(text), "Confidence": LNum(score * scale), "Instances": inst,
                          "Parents": [], "Aliases": [], "Categories": []})
        return {"Labels": items, "LabelModelVersion": "3.0",
                "ResponseMetadata": {"HTTPStatusCode": 200}, "CustomLabels": items}
    flat = [(text, score) for text, score, count in labels for _ in range(max(1, count))]
    if ref.provider == "google":
        labs = [Rec("Label", description=LStr(t), score=LNum(s), topicality=LNum(s), mid="/m/0", _label=True)
                for t, s, c in labels]
        objs = [Rec("Object", name=LStr(t), score=LNum(s), mid="/m/0", _label=True,
                    bounding_poly=Rec("Poly", normalized_vertices=[Rec("V", x=0.1, y=0.1), Rec("V", x=0.5, y=0.1),
                                                                   Rec("V", x=0.5, y=0.5), Rec("V", x=0.1, y=0.5)]))
                for t, s in flat]
        resp = Rec("Response", label_annotations=labs if ref.method != "object_localization" and in_labels else [],
                   localized_object_annotations=objs if ref.method != "label_detection" and in_objects else [],
                   error=Rec("Status", message="", code=0), text_annotations=[], landmark_annotations=[],
                   logo_annotations=[], face_annotations=[])
        if ref.method == "batch_annotate_images":
            return Rec("Batch", responses=[resp])
        return resp
    if ref.provider == "azure_cv":
        tags = [Rec("Tag", name=LStr(t), confidence=LNum(s), hint=None, _label=True) for t, s, c in labels]
        objs = [Rec("DetectedObject", object_property=LStr(t), confidence=LNum(s), parent=None, _label=True,
                    rectangle=Rec("Rect", x=10, y=10, w=50, h=50)) for t, s in flat]
        if ref.method.startswith("detect_objects"):
            return Rec("DetectResult", objects=objs)
        if ref.method.startswith("tag_image"):
            return Rec("TagResult", tags=tags)
        return Rec("ImageAnalysis", tags=tags if in_labels else [], objects=objs if in_objects else [],
                   categories=[], description=Rec(
                       "Description", tags=[LStr(t) for t, s, c in labels] if in_labels else [], captions=[]))
    if ref.provider == "azure_ia":
        tags = [Rec("Tag", name=LStr(t), confidence=LNum(s), _label=True) for t, s, c in labels]
        objs = [Rec("DetectedObject", tags=[Rec("Tag", name=LStr(t), confidence=LNum(s), _label=True)],
                    bounding_box=Rec("Box", x=10, y=10, width=50, height=50)) for t, s in flat]
        return Rec("ImageAnalysisResult", tags=Rec("Tags", list=tags if in_labels else []),
                   objects=Rec("Objects", list=objs if in_objects else []),
                   caption=None, read=None, people=Rec("People", list=[]))
    return Opaque("response")


def _objects(ref: SiteRef) -> bool:
    return ref.method in OBJECT_METHODS


# ---------------------------------------------------------------------- entry points
def entries_for(modules: dict[str, tuple[str, ast.Module]], target: ast.Call, main_module: str) -> list[tuple]:
    """Entry points that may reach `target`, outermost first: the main module's body, the
    functions that (through calls by name) lead to the function holding the call, then it."""
    owner: dict[int, tuple[str, list[str], ast.AST]] = {}
    for modname, (_, tree) in modules.items():
        for path, func in _functions(tree):
            for sub in ast.walk(func):
                if isinstance(sub, ast.Call):
                    owner.setdefault(id(sub), (modname, path, func))
    # innermost owner: walk again so nested definitions win
    home = None
    for modname, (_, tree) in modules.items():
        for path, func in _functions(tree):
            if any(sub is target for sub in ast.walk(func)):
                if home is None or len(path) >= len(home[1]):
                    home = (modname, path, func)
    out: list[tuple] = []
    if home is None:
        for modname, (_, tree) in modules.items():
            if any(sub is target for sub in ast.walk(tree)):
                return [("module", modname)]
        return []
    chain = [home]
    seen = {id(home[2])}
    frontier = [home]
    module_callers: list[str] = []
    for _ in range(4):
        nxt = []
        for _mod, path, _func in frontier:
            name = path[-1]
            for cmod, (_, tree) in modules.items():
                for sub in ast.walk(tree):
                    if isinstance(sub, ast.Call) and _callee_name(sub) == name:
                        caller = _owner_of(modules[cmod][1], sub)
                        if caller is None:
                            module_callers.append(cmod)
                        elif id(caller[1]) not in seen:
                            seen.add(id(caller[1]))
                            nxt.append((cmod, caller[0], caller[1]))
        chain.extend(nxt)
        frontier = nxt
    if main_module in module_callers or (module_callers and not main_module):
        out.append(("module", main_module or module_callers[0]))
    for modname, path, _func in reversed(chain):
        if len(path) <= 2:
            out.append(("func", modname, tuple(path)))
    if main_module and ("module", main_module) not in out:
        out.append(("module", main_module))
    return out


def _functions(tree: ast.Module) -> list[tuple[list[str], ast.AST]]:
    out: list[tuple[list[str], ast.AST]] = []
    node: ast.AST
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append(([node.name], node))
        elif isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out.append(([node.name, member.name], member))
        elif isinstance(node, (ast.If, ast.Try)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out.append(([inner.name], inner))
    return out


def _owner_of(tree: ast.Module, target: ast.AST) -> tuple[list[str], ast.AST] | None:
    best = None
    for path, func in _functions(tree):
        if any(sub is target for sub in ast.walk(func)):
            if best is None or len(path) >= len(best[0]):
                best = (path, func)
    return best


def _callee_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


# ---------------------------------------------------------------------- reading the table
@dataclass
class Found:
    spec: DecisionSpec | None
    complete: bool
    why: str = ""
    # What was observed: each probed label's outcome, and each pair's (label a listed first).
    singles: dict[str, str] = field(default_factory=dict)
    pairs: dict[tuple[str, str], str] = field(default_factory=dict)
    many: int = 1  # objects per label in those probes
    excluded: tuple[str, ...] = ()  # for a decision by exclusion, the labels it leaves out
    others: list[Found] = field(default_factory=list)  # further decisions read from the same probes

    def agrees(self, spec: DecisionSpec) -> bool:
        """Does `spec` decide the probed responses as the application did? Labels with one
        outcome must share one decision and labels with different outcomes must not; a pair
        must go to the outcome of the label that won it (or, when both took effect, to both)."""
        if not self.singles:
            return True
        from collections import Counter

        votes: dict[str, Counter] = {}
        for label, outcome in self.singles.items():
            votes.setdefault(outcome, Counter())[_hashable(spec.decide([(label, HIGH)] * self.many))] += 1
        seen = {outcome: count.most_common(1)[0][0] for outcome, count in votes.items()}
        if len(set(seen.values())) != len(seen):
            return False  # two outcomes of the application are one decision of the spec
        wrong = sum(n for outcome, count in votes.items() for p, n in count.items() if p != seen[outcome])
        if wrong > 0.2 * len(self.singles):
            return False  # a few labels the application can never match are tolerated
        for (a, b), outcome in self.pairs.items():
            predicted = _hashable(spec.decide([(a, HIGH)] * self.many + [(b, 0.9)] * self.many))
            if outcome == "both":
                if predicted in (seen.get(self.singles[a]), seen.get(self.singles[b])):
                    return False
            elif predicted != seen.get(outcome):
                return False
        return True


def _hashable(decision: Any) -> Any:
    return tuple(sorted(decision)) if isinstance(decision, frozenset) else decision


def _candidates(texts: set[str]) -> list[str]:
    out = []
    for t in sorted(texts, key=lambda s: (len(s), s)):
        if t.startswith(RUNTIME_MARK):
            out.append(t)
            continue
        s = t.strip()
        if not s or len(s) > 60 or not re.search(r"[A-Za-z]", s) or s == NEUTRAL:
            continue
        if re.search(r"[/\\%{}<>=]|\.py$|^https?:", s) or s.count(" ") > 5:
            continue
        out.append(t)
    return out[:MAX_CANDIDATES]


def decide(runner: ProbeRunner) -> Found:
    """The decision at the runner's call, read from probe runs from the entry points that
    reach it, innermost first: the first that decides is taken, since a caller that hands the
    labels on to unknown code (a page, a drawing) can hide what its helper decided, and one
    that only passes them along leaves the decision to its caller."""
    best: Found | None = None
    for entry in reversed(entries_for(runner.modules, runner.target, runner.main_module)):
        runner.entry = entry
        runner.view = lambda out: out.trace
        if runner.deadline():
            break
        out = runner.run(Probe([(NEUTRAL, HIGH, 1)]))
        if not out.reached or out.stopped:
            continue
        found = decide_from(runner)
        if best is None or _richness(found) > _richness(best):
            best = found
        if found.spec is not None:
            break
    return best if best is not None else Found(None, False, "no entry point reaches the call")


def _richness(found: Found) -> tuple[int, int]:
    if found.spec is None:
        return (0, int(found.complete))
    return (len(found.spec.categories), 1 + int(found.complete))


def decide_from(runner: ProbeRunner) -> Found:
    """The decision at the runner's call seen from its current entry point."""
    empty = runner.run(Probe([]))
    neutral = runner.run(Probe([(NEUTRAL, HIGH, 1)]))
    compared = set(neutral.compared) | set(empty.compared)
    tried: dict[str, Outcome] = {}
    for _ in range(3):
        fresh = [c for c in _candidates(compared) if c not in tried]
        if not fresh:
            break
        for c in fresh:
            out = runner.run(Probe([(c, HIGH, runner.many)]))
            tried[c] = out
            compared |= out.compared
    if any(o.stopped for o in tried.values()) or neutral.stopped:
        return Found(None, False, "a run did not finish")
    decisive = {c: o for c, o in tried.items() if o.reached and o.trace != neutral.trace}
    if not decisive and _counts_objects(runner):  # one object may be too few to change anything
        runner.many = MANY
        neutral = runner.run(Probe([(NEUTRAL, HIGH, MANY)]))  # as many objects of no interest
        tried = {c: runner.run(Probe([(c, HIGH, MANY)])) for c in tried}
        decisive = {c: o for c, o in tried.items() if o.reached and not o.stopped and o.trace != neutral.trace}
    if not decisive:
        return Found(None, True, "no label changes what the application does")
    excluded = [c for c, o in decisive.items() if o.trace == empty.trace and neutral.trace != empty.trace]
    positive = {c: o for c, o in decisive.items() if c not in excluded}
    if excluded and not positive:
        return _by_exclusion(runner, excluded, neutral)
    per_label = _label_is_outcome(positive, neutral)
    if per_label:
        runner.view = lambda out: out.raw
    elif all(o.ret != neutral.ret for o in positive.values()):
        runner.view = lambda out: out.ret  # what the function returns is the outcome
    groups: dict[str, list[str]] = {}
    for c, o in positive.items():
        groups.setdefault(runner.view(o), []).append(c)
    keys = list(groups)
    reps = {k: groups[k][0] for k in keys}
    match = _match(runner, reps[keys[0]], per_label)
    pairs: dict[tuple[str, str], str] = {}
    if per_label and match.startswith("substring") and len(keys) > 1 and \
            _relation(runner, keys[0], keys[1], reps[keys[0]], reps[keys[1]], {})[0] == "both":
        # every label that contains a word is kept (a list of them): one category of the words;
        # where one label is kept, which word it holds is the outcome (a category per word)
        keys, groups = [keys[0]], {keys[0]: [c for k in keys for c in groups[k]]}
        runner.view = lambda out: out.trace
    relations = [_relation(runner, a, b, reps[a], reps[b], pairs) for i, a in enumerate(keys) for b in keys[i + 1:]]
    parts = _independent_parts(keys, relations)
    found = [_build(runner, part, groups, [r for r in relations if r[1] in part and r[2] in part], pairs, neutral, tried,
                    positive, per_label, match) for part in parts]
    found[0].others = found[1:]
    return found[0]


def _build(runner: ProbeRunner, keys: list[str], groups: dict[str, list[str]], relations: list[tuple[str, str, str]],
           pairs: dict[tuple[str, str], str], neutral: Outcome, tried: dict[str, Outcome],
           positive: dict[str, Outcome], per_label: bool, match: str) -> Found:
    """One decision over the outcomes `keys` (each with the labels in `groups`), from how
    their pairs combine (`relations`)."""
    site = runner.site
    if len(keys) == 1:
        kind, order = "true_false", "category"
    elif any(r[0] == "both" for r in relations):
        kind, order = "multi_select", "category"
    else:
        kind = "multi_choice"
        votes = [r[0] for r in relations]
        if votes.count("label") >= len(votes) / 2:
            order = "label"
        elif votes.count("last") >= len(votes) / 2:
            order = "last"
        else:
            order = "category"
            keys = _precedence(keys, [(r[1], r[2]) for r in relations if r[0] == "before"])
    rep = groups[keys[0]][0]
    threshold = _threshold(runner, rep)
    top_k = _top_k(runner, rep)
    site_k = site.top_k
    top_k = site_k if top_k is None else (top_k if site_k is None else min(top_k, site_k))
    if site.threshold is not None:
        threshold = site.threshold if threshold is None else max(threshold, site.threshold)
    count_op, count = _count(runner, rep) if len(keys) == 1 else (None, None)
    categories = []
    for k in keys:
        labels = tuple(groups[k])
        name = _name(runner, groups[k][0], neutral, per_label and kind != "true_false")
        categories.append(Category(name, labels))
    names = [c.name for c in categories]
    if len(set(names)) != len(names):
        categories = [Category(f"{c.name}_{i}" if names.count(c.name) > 1 else c.name, c.labels)
                      for i, c in enumerate(categories)]
    own = {c for k in keys for c in groups[k]}
    singles = {c: (runner.view(o) if c in own else "none") for c, o in tried.items()
               if o.reached and (c in own or c not in positive)}
    singles[NEUTRAL] = "none"
    runtime = any(label.startswith(RUNTIME_MARK) for c in categories for label in c.labels)
    if runtime:  # labels read at run time are not known here: the category stays without them
        categories = [Category(c.name, tuple(x for x in c.labels if not x.startswith(RUNTIME_MARK)))
                      for c in categories]
    unresolved = bool(neutral.unresolved) or runtime
    spec = DecisionSpec(
        kind=kind, order=order, categories=categories, match=match, threshold=threshold, top_k=top_k,
        provider=site.provider, method=site.method, call=SourceLocation(site.file, site.line),
        conditions=[], partial=unresolved,
        reasons=["labels are compared with values read at run time"] if unresolved else [],
        target="objects" if count_op else "labels", count_op=count_op, count=count,
    )
    return Found(spec, not unresolved, singles=singles, pairs={p: o for p, o in pairs.items() if set(p) <= own},
                 many=runner.many)


def _independent_parts(keys: list[str], relations: list[tuple[str, str, str]]) -> list[list[str]]:
    """Outcomes that exclude each other (one label wins) and outcomes that come together
    (`{"place": next(l for l in labels if l in PLACES), "pets": [l for l in labels if l in PETS]}`)
    are separate decisions: the groups joined by exclusive pairs, each a decision of its own,
    and the outcomes that exclude none together, when every pair across groups comes together."""
    if len(keys) < 3 or not any(r[0] == "both" for r in relations):
        return [keys]
    group = {k: k for k in keys}

    def root(k: str) -> str:
        while group[k] != k:
            k = group[k]
        return k

    for kind, a, b in relations:
        if kind != "both":
            group[root(a)] = root(b)
    parts: dict[str, list[str]] = {}
    for k in keys:
        parts.setdefault(root(k), []).append(k)
    joined = [p for p in parts.values() if len(p) > 1]
    if not joined or len(parts) == 1:
        return [keys]
    loose = [k for p in parts.values() if len(p) == 1 for k in p]
    return sorted(joined + ([loose] if loose else []), key=lambda p: keys.index(p[0]))


def behind_gate(runner: ProbeRunner, gate: DecisionSpec) -> Found | None:
    """A second decision taken only once a first one holds (`if is_food(labels): return the
    first label not in SKIP`): the probes again, each with a label that passes the gate beside
    it; a decision over other labels than the gate's is a decision of its own."""
    passing = [x for x in gate.all_labels if not x.startswith(RUNTIME_MARK)]
    if not passing or runner.entry is None:
        return None
    runner.background = [(passing[0], 0.9, runner.many)]
    runner.view = lambda out: out.trace
    try:
        found = decide_from(runner)
    finally:
        runner.background = []
    if found.spec is None:
        return None
    own = {x.casefold() for x in gate.all_labels}
    labels = {x.casefold() for x in (*found.spec.all_labels, *found.excluded)}
    if labels <= own:
        return None  # the gate itself seen again (another label before it, or instead of it)
    return found


def _by_exclusion(runner: ProbeRunner, excluded: list[str], neutral: Outcome) -> Found:
    """Every label but a few takes effect (`if name in SKIP: continue`): a decision over
    "anything except these", reported partial since its categories cannot list their labels."""
    handed = "\n".join(line for line in neutral.raw.splitlines() if not DISPLAY.match(line))
    passes_on = re.search(r"'[^'\\]*\b" + NEUTRAL + r"\b[^'\\]*'", handed, re.IGNORECASE) is not None
    kind, order = ("multi_choice", "label") if passes_on else ("true_false", "category")
    site = runner.site
    entry = runner.entry or ("", "", ("decision",))
    name = str(entry[2][-1]) if entry[0] == "func" else "decision"
    shown = ", ".join(sorted(excluded)[:8]) + (", ..." if len(excluded) > 8 else "")
    spec = DecisionSpec(
        kind=kind, order=order, categories=[Category(name, ())], provider=site.provider, method=site.method,
        call=SourceLocation(site.file, site.line), top_k=site.top_k, threshold=site.threshold, partial=True,
        reasons=[f"decided by exclusion: any label except [{shown}]"],
    )
    return Found(spec, False, "decision by exclusion", excluded=tuple(excluded))


def _relation(runner: ProbeRunner, a: str, b: str, ra: str, rb: str,
              pairs: dict[tuple[str, str], str]) -> tuple[str, str, str]:
    """How two categories combine: the first listed wins, the last, one always, or both
    (each pair's observed outcome is kept in `pairs`: a category's key, or "both")."""
    view = runner.view
    pad = NEUTRAL + "p"
    ab = view(runner.run(Probe([(ra, HIGH, runner.many), (rb, 0.9, runner.many)])))
    ba = view(runner.run(Probe([(rb, HIGH, runner.many), (ra, 0.9, runner.many)])))
    a_first = view(runner.run(Probe([(ra, HIGH, runner.many), (pad, 0.9, runner.many)])))
    b_second = view(runner.run(Probe([(pad, HIGH, runner.many), (rb, 0.9, runner.many)])))
    b_first = view(runner.run(Probe([(rb, HIGH, runner.many), (pad, 0.9, runner.many)])))
    a_second = view(runner.run(Probe([(pad, HIGH, runner.many), (ra, 0.9, runner.many)])))
    pairs[(ra, rb)] = a if ab == a_first else (b if ab == b_second else "both")
    pairs[(rb, ra)] = b if ba == b_first else (a if ba == a_second else "both")
    if ab == a_first and ba == b_first:
        return ("label", a, b)
    if ab == b_second and ba == a_second:
        return ("last", a, b)
    if ab == a_first and ba == a_second:
        return ("before", a, b)
    if ab == b_second and ba == b_first:
        return ("before", b, a)
    return ("both", a, b)


def _label_is_outcome(positive: dict[str, Outcome], neutral: Outcome) -> bool:
    """The label's own text is the outcome: returned or handed on as a value of its own
    (`return label.description`, a list or a record holding it, a call's argument), not text
    built around it, in an effect that an unknown label does not have. What every label gets
    (the whole response printed or logged) is no evidence; an unknown label handed on in an
    effect of its own means every label is (all of them stored); a flag set beside the label
    (`found = True; detail = name`) is the outcome and the label a detail of it."""
    if len(positive) < 2:
        return False
    base = set(neutral.trace.splitlines())
    seen = {line for o in positive.values() for line in o.trace.splitlines()}

    def shows(raw: str, label: str) -> bool:
        return any(t.casefold() == label.casefold() for t in re.findall(r"'([^'\\]*)'", raw))

    def effects(out: Outcome, others: set[str]) -> list[str]:
        """The raw lines of `out` whose effect (label text hidden) is not among `others`; text
        shown to a person (printed, logged, drawn on the picture) is a display, not an outcome."""
        return [raw for shown, raw in zip(out.trace.splitlines(), out.raw.splitlines())
                if shown not in others and not DISPLAY.match(raw)]

    if any(shows(raw, NEUTRAL) for raw in effects(neutral, seen)):
        return False
    if any(re.search(r"\bTrue\b", shown) for o in positive.values() for shown in effects(o, base)):
        return False  # a flag is set beside it: the flag is the outcome, the label a detail
    return all(any(shows(raw, c) for raw in effects(o, base)) for c, o in positive.items())


def _key(runner: ProbeRunner, label: str) -> str:
    return runner.view(runner.run(Probe([(label, HIGH, runner.many)])))


def _effect(runner: ProbeRunner, probe: Probe, label: str) -> bool:
    """Does this probe produce `label`'s outcome?"""
    return runner.view(runner.run(probe)) == _key(runner, label)


def _match(runner: ProbeRunner, label: str, per_label: bool) -> str:
    folded = label.upper() if label.upper() != label else label.title()
    casefold = folded != label and _same(runner, label, folded, per_label)
    longer = f"Qz {label} Qx"
    substring = _same(runner, label, longer, per_label) or _same(runner, label, f"Qz{label.lower()}Qx", per_label)
    if substring:
        return "substring_casefold" if casefold else "substring"
    return "casefold" if casefold else "exact"


def _same(runner: ProbeRunner, label: str, variant: str, per_label: bool) -> bool:
    base = runner.run(Probe([(label, HIGH, runner.many)]))
    other = runner.run(Probe([(variant, HIGH, runner.many)]))
    if per_label:
        return other.ret == base.ret and other.trace == base.trace
    return runner.view(other) == runner.view(base)


def _threshold(runner: ProbeRunner, label: str) -> float | None:
    def works(score: float) -> bool:
        return _effect(runner, Probe([(label, score, runner.many)]), label)

    if works(0.02):
        return None
    lo, hi = 0.02, HIGH
    if not works(hi):
        return None
    for _ in range(8):
        mid = (lo + hi) / 2
        if works(mid):
            hi = mid
        else:
            lo = mid
    value = round(hi, 3)
    snapped = round(value, 2)
    return snapped if abs(snapped - hi) < 0.005 else value


def _top_k(runner: ProbeRunner, label: str) -> int | None:
    """The lowest position at which the label still takes effect (None: no limit in the code
    below the request's own)."""
    def visible(position: int) -> bool:
        fillers = [(f"{NEUTRAL}{chr(97 + i % 26)}{i}", 0.99 - 0.001 * i, 1) for i in range(position - 1)]
        with_it = runner.run(Probe([*fillers, (label, 0.9, runner.many)]))
        without = runner.run(Probe(fillers))
        return runner.view(with_it) != runner.view(without)

    if not visible(1):
        return None
    limit = runner.site.top_k or 25
    if visible(limit):
        return None
    lo, hi = 1, limit  # visible at lo, not at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if visible(mid):
            lo = mid
        else:
            hi = mid
    return lo


def _count(runner: ProbeRunner, label: str) -> tuple[str | None, int | None]:
    """A decision on how many objects carry the label (`>= n`), when more than one is needed."""
    site = runner.site
    if site.method not in OBJECT_METHODS and site.provider != "aws" and runner.channel != "objects":
        return None, None
    traces = [runner.run(Probe([(label, HIGH, n)])).trace if n else runner.run(Probe([])).trace for n in range(0, 7)]
    if traces[1] == traces[2] == traces[6]:
        return None, None
    for n in range(2, 7):
        if traces[n] != traces[n - 1]:
            if all(traces[m] == traces[n] for m in range(n, 7)):
                return ">=", n
            return None, None
    return None, None


def _precedence(keys: list[str], before: list[tuple[str, str]]) -> list[str]:
    wins = {k: sum(1 for a, _ in before if a == k) for k in keys}
    return sorted(keys, key=lambda k: (-wins[k], keys.index(k)))


def _name(runner: ProbeRunner, label: str, neutral: Outcome, per_label: bool) -> str:
    """A category's name: the label itself when it is the outcome, the string the application
    returns or hands on for it, else the entry function's name."""
    out = runner.run(Probe([(label, HIGH, runner.many)]))
    if per_label and not label.startswith(RUNTIME_MARK):
        return label
    lit = re.fullmatch(r"'([^'<>]{1,60})'", out.returned) or re.fullmatch(r'"([^"<>]{1,60})"', out.returned)
    if lit and RUNTIME_MARK not in lit.group(1):
        return lit.group(1)
    base = neutral.trace.splitlines()
    for line in out.trace.splitlines():
        if line not in base:
            text = re.search(r"'([^'<>]{2,40})'", line)
            if text:
                return text.group(1)
            break
    entry = runner.entry or ("", "", ("decision",))
    return str(entry[2][-1]) if entry[0] == "func" else "decision"


# ---------------------------------------------------------------------- project glue
def parse_modules(sources: dict[str, str], modnames: dict[str, str]) -> dict[str, tuple[str, ast.Module]]:
    """The application's modules as stdlib trees (a module that does not parse is left out)."""
    from chameleonapi.analysis.salvage import salvage

    out = {}
    for modname, file in modnames.items():
        source = sources.get(file)
        if source is None:
            continue
        try:
            out[modname] = (file, ast.parse(source))
        except (SyntaxError, ValueError, RecursionError):
            try:  # the blocks that do not parse are blanked out, line for line
                out[modname] = (file, ast.parse(salvage(source, file)[0]))
            except (SyntaxError, ValueError, RecursionError):
                continue
    return out


def find_node(tree: ast.Module, method: str, line: int) -> ast.Call | None:
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method
                and node.lineno == line):
            return node
    return None


def probe_sites(modules: dict[str, tuple[str, ast.Module]], sites: list[SiteRef], main_module: str,
                live: Callable[[str], Any] | None, deadline: Callable[[], bool],
                find_module: Callable[[str], tuple[str, ast.Module] | None] | None = None,
                ) -> dict[tuple[str, int], list[Found]]:
    by_file = {file: name for name, (file, _) in modules.items()}
    nodes: dict[int, SiteRef] = {}
    targets: list[tuple[SiteRef, ast.Call]] = []
    for site in sites:
        modname = by_file.get(site.file)
        if modname is None:
            continue
        node = find_node(modules[modname][1], site.method, site.line)
        if node is not None:
            nodes[id(node)] = site
            targets.append((site, node))
    results: dict[tuple[str, int], list[Found]] = {}
    for site, node in targets:
        found: list[Found] = []
        for channel in CHANNELS.get(site.method, ("both",)):
            if deadline():
                break
            runner = ProbeRunner(modules, nodes, node, live, main_module, deadline)
            runner.channel = channel
            if find_module is not None:
                runner.find_module = find_module
            try:
                first = decide(runner)
                found += [first, *first.others]
                if first.spec is not None and first.spec.kind == "true_false" and not deadline():
                    behind = behind_gate(runner, first.spec)
                    if behind is not None:
                        found.append(behind)
            except (Stop, RecursionError):
                found.append(Found(None, False, "time budget"))
            except Exception as exc:  # one call site's failure loses that call site only
                found.append(Found(None, False, f"{type(exc).__name__}: {exc}"))
        results[(site.file, site.line)] = found
    return results


# Calls whose one response holds labels and objects: each list is probed on its own, so a
# decision on the labels and one on the objects of the same call stay two decisions.
CHANNELS = {
    method: ("labels", "objects")
    for method in ("annotate_image", "batch_annotate_images", "analyze_image", "analyze_image_in_stream",
                   "analyze", "analyze_from_url")
}


__all__ = ["Found", "ModuleV", "SiteRef", "decide", "parse_modules", "probe_sites"]


def probe_project(project: Any, sites: list[Any]) -> dict[tuple[str, int], list[Found]]:
    """Probe every SDK call of a loaded `Project` (its sources, its live values, its budget)."""
    import time

    from chameleonapi.analysis import concrete
    from chameleonapi.analysis.live import MISSING as LIVE_MISSING
    from chameleonapi.analysis.project import read_source

    modnames = {name: mod.file for name, mod in project.modules.items()}
    modules = parse_modules(project.sources, modnames)
    refs = [SiteRef(s.provider, s.method, s.file, s.line, s.top_k, s.threshold) for s in sites]
    live_scope = project.live

    def live(name: str) -> Any:
        if live_scope is None or not live_scope.active:
            return concrete.MISSING
        value = live_scope.value(name)
        return concrete.MISSING if value is LIVE_MISSING else value

    def find_module(name: str) -> tuple[str, ast.Module] | None:
        path = project.locate(name) if name else None
        if path is None:
            return None
        try:
            return str(path), ast.parse(read_source(path))
        except (OSError, SyntaxError, ValueError, RecursionError):
            return None

    at = project.deadline.at
    main = project.entry[0] if project.entry else ""
    return probe_sites(modules, refs, main, live if live_scope is not None else None,
                       lambda: time.thread_time() > at, find_module)
