"""One analysis run: load the app, interpret every function, build and order the specs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from astroid import nodes

from chameleonapi.analysis.budget import (
    BudgetExceeded,
    Deadline,
    astroid_modules,
    budget_seconds,
    max_bytes,
    release_astroid,
    size_problem,
    too_large_message,
)
from chameleonapi.analysis.build import build_specs
from chameleonapi.analysis.facts import FINAL
from chameleonapi.analysis.interp import Analyzer
from chameleonapi.analysis.live import LiveScope
from chameleonapi.analysis.precheck import calls_sdk_text, may_call_sdk
from chameleonapi.analysis.project import Project, as_path, load, python_files, read_source
from chameleonapi.analysis.report import Report
from chameleonapi.analysis.sdk import find_sites
from chameleonapi.spec import DecisionSpec


def run(
    path_or_source: str | Path, budget: float | None = None, precheck: bool = True, live: LiveScope | None = None
) -> Report:
    """Analyze within a time budget (seconds; see `budget.budget_seconds`). `precheck=False`
    parses even code that never names an SDK method (for measuring the full analysis);
    `live` reads names the source cannot resolve from the running program."""
    deadline = Deadline(budget_seconds(budget))
    too_large = _too_large(path_or_source)
    if too_large is not None:
        return Report(errors=[too_large])  # never read in full, never parsed
    if precheck and not _may_call_sdk(path_or_source):
        return Report()  # no vision SDK call anywhere: nothing to parse
    before = astroid_modules()
    try:
        project = load(path_or_source)
        project.deadline = deadline
        project.live = live
        return _run(project)
    finally:
        release_astroid(before)


def _too_large(path_or_source: str | Path) -> str | None:
    """The size cap, checked before anything is read: the parse's cost grows with the size."""
    path = as_path(path_or_source)
    if path is None:
        size = len(path_or_source.encode("utf-8", "replace")) if isinstance(path_or_source, str) else 0
        return f"<string>: {too_large_message(size, max_bytes())}" if size > max_bytes() else None
    if path.is_file():
        problem = size_problem(path)
        return f"{path}: {problem}" if problem else None
    return None


def _may_call_sdk(path_or_source: str | Path) -> bool:
    path = as_path(path_or_source)
    if path is None:
        return not isinstance(path_or_source, str) or calls_sdk_text(path_or_source)
    if path.is_dir():
        return any(calls_sdk_text(_read(f) or "") for f in python_files(path))
    return not path.is_file() or may_call_sdk(path, _read)


def _read(path: Path) -> str | None:
    try:
        return read_source(path)
    except OSError:
        return None


def _run(project: Project) -> Report:
    report = Report(errors=list(project.errors))
    analyzer = Analyzer(project)
    sites = []
    stopped = None
    try:
        for modname in list(project.entry):
            module = project.modules[modname]
            sites.extend(find_sites(project, module))
        for modname in list(project.entry):
            module = project.modules[modname]
            analyzer.run_function(module)
            for func in module.nodes_of_class(nodes.FunctionDef):
                analyzer.run_function(func)
    except BudgetExceeded as exc:
        stopped = str(exc)
        project.deadline = Deadline(0)  # what was found so far is still turned into specs
        analyzer.deadline = project.deadline
    seen: set[tuple] = set()
    specs = []
    for decision in analyzer.decisions:
        if id(decision.func) in analyzer.consumed and (
            decision.predicate or all(r.seq >= FINAL for r in decision.rules)
        ):
            continue  # a predicate whose result another function decides with
        try:
            built = build_specs(decision)
        except Exception as exc:  # one decision's failure loses that decision only
            where = f"{decision.func.root().file or '<string>'}:{decision.func.lineno or 0}"
            message = f"{where}: the decision in {decision.name} could not be built ({type(exc).__name__}); it is skipped"
            if message not in report.errors:
                report.errors.append(message)
            continue
        for spec in built:
            key = (
                str(spec.call),
                spec.to_json().replace(str(spec.conditions), ""),
            )
            ident = (str(spec.call), spec.stable_hash(), tuple(str(c) for c in spec.conditions))
            if ident in seen or key in seen:
                continue
            seen.add(ident)
            specs.append(spec)
    specs = _drop_subsumed(specs)
    from chameleonapi.analysis.objects import merge, object_specs

    specs = merge(specs, object_specs(project, sites))
    if stopped is None:
        specs = _with_probes(project, sites, specs, report)
    specs.sort(
        key=lambda s: (
            s.call.file if s.call else "",
            s.call.line if s.call else 0,
            s.conditions[0].line if s.conditions else 0,
        )
    )
    if stopped is not None:
        specs = [_partial(s, stopped) for s in specs]
        report.notes.append(f"{stopped}; decisions not reached yet are missing")
    report.specs = specs
    decided = {(s.call.file, s.call.line) for s in specs if s.call}
    for site in sites:
        if (site.file, site.line) not in decided:
            report.notes.append(
                f"{site.file}:{site.line}: {site.provider} {site.method}: no decision found "
                "(no test of its labels against constants chooses an outcome: the labels are "
                "printed or stored, compared with values read at run time, or only add up scores); "
                "the generic model serves it"
            )
    report.errors.extend(analyzer.errors.values())
    for (file, line), note in analyzer.notes.items():
        if not any(c.file == file and c.line == line for s in specs for c in s.conditions):
            report.notes.append(note)
    report.sources = project.sources
    return report


# "judge": probes decide where the walker found nothing, and replace a walker's decision that
# the application's own behaviour on the probes contradicts; "off" keeps the walker alone.
PROBE_POLICY = "judge"


def _with_probes(project: Project, sites: list, specs: list[DecisionSpec], report: Report) -> list[DecisionSpec]:
    """Check and complete the walker's decisions with what the application does on probes."""
    if PROBE_POLICY == "off" or not sites:
        return specs
    from chameleonapi.analysis.probes import probe_project

    try:
        found = probe_project(project, sites)
    except Exception as exc:  # the probes never take the analysis down
        report.notes.append(f"the application's code could not be run on probes ({type(exc).__name__})")
        return specs
    out = list(specs)
    for where, results in found.items():
        here = [s for s in out if s.call and (s.call.file, s.call.line) == where]
        kept = _combine(here, [r for r in results if r.spec is not None])
        out = [s for s in out if not any(s is h for h in here)] + kept
    return out


def _combine(here: list[DecisionSpec], read: list) -> list[DecisionSpec]:
    """The decisions at one call, from the walker's (`here`) and the probes' (`read`) readings."""
    if not here:
        return [r.spec for r in read]
    whole = read[0] if len(read) == 1 and read[0].complete else None
    if (whole is not None and len(here) == 1 and any(not c.labels for c in here[0].categories)
            and whole.spec.all_labels):
        return [whole.spec]  # the labels the walker could not resolve, read from the behaviour
    if whole is not None and len(here) == 1 and not here[0].partial:
        if not whole.agrees(here[0]):
            return [whole.spec]  # the application's behaviour contradicts the walker's reading
        if whole.spec.threshold is not None and (here[0].threshold is None or whole.spec.threshold > here[0].threshold + 1e-9):
            # the same decision; labels under the score the probes found change nothing
            return [replace(here[0], threshold=whole.spec.threshold)]
        return here
    if (whole is not None and whole.spec.kind != "true_false" and all(s.kind == "true_false" and not s.partial for s in here)
            and {x.casefold() for s in here for x in s.all_labels} <= {x.casefold() for x in whole.spec.all_labels}
            and not any(whole.agrees(s) for s in here)):
        return [whole.spec]  # one decision the walker read in parts (a helper called once per label)
    if any(s.partial for s in here):
        return here
    here = [_judged(s, read) for s in here]
    known = {label.casefold() for s in here for label in s.all_labels}  # a second decision at one call
    return here + [r.spec for r in read
                   if (r.complete or r.excluded) and not known & {x.casefold() for x in r.spec.all_labels}]


def _judged(spec: DecisionSpec, read: list) -> DecisionSpec:
    """The walker's `spec`, or, for a true-false one, the one decision the probes read over the
    same labels where the application's behaviour shows several outcomes."""
    if spec.kind != "true_false":
        return spec
    labels = {x.casefold() for x in spec.all_labels}
    same = [r for r in read if r.complete and {x.casefold() for x in r.spec.all_labels} == labels]
    return same[0].spec if len(same) == 1 and not same[0].agrees(spec) else spec


def _partial(spec: DecisionSpec, reason: str) -> DecisionSpec:
    reasons = [*spec.reasons, reason] if reason not in spec.reasons else list(spec.reasons)
    return replace(spec, partial=True, reasons=reasons)


def _drop_subsumed(specs: list) -> list:
    """The same decision seen from a helper and from its caller is reported once."""
    out = []
    seen: set[tuple] = set()
    for spec in specs:
        key = _loose_key(spec)
        if key in seen:
            continue
        seen.add(key)
        out.append(spec)
    resolved = {
        (str(s.call), tuple(map(str, s.conditions))) for s in out if all(c.labels for c in s.categories)
    }
    return [
        s
        for s in out
        if all(c.labels for c in s.categories) or (str(s.call), tuple(map(str, s.conditions))) not in resolved
    ]


def _loose_key(spec) -> tuple:
    """Equal decisions at one call site, whatever the function that holds them is called."""
    labels = tuple(c.labels for c in spec.categories)
    names = tuple(c.name for c in spec.categories) if spec.kind != "true_false" else ()
    return (
        str(spec.call),
        tuple(map(str, spec.conditions)),
        spec.kind,
        spec.order,
        spec.match,
        spec.threshold,
        spec.top_k,
        labels,
        names,
    )
