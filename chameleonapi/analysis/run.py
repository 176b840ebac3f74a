"""One analysis run: load the app, interpret every function, build and order the specs."""

from __future__ import annotations

from pathlib import Path

from astroid import nodes

from chameleonapi.analysis import Report
from chameleonapi.analysis.build import build_specs
from chameleonapi.analysis.facts import FINAL
from chameleonapi.analysis.interp import Analyzer
from chameleonapi.analysis.project import load
from chameleonapi.analysis.sdk import find_sites


def run(path_or_source: str | Path) -> Report:
    project = load(path_or_source)
    report = Report(errors=list(project.errors))
    analyzer = Analyzer(project)
    sites = []
    for modname in list(project.entry):
        module = project.modules[modname]
        sites.extend(find_sites(project, module))
        analyzer.run_function(module)
        for func in module.nodes_of_class(nodes.FunctionDef):
            analyzer.run_function(func)
    seen: set[tuple] = set()
    specs = []
    for decision in analyzer.decisions:
        if id(decision.func) in analyzer.consumed and all(r.seq >= FINAL for r in decision.rules):
            continue  # a predicate whose result another function decides with
        for spec in build_specs(decision):
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
    specs.sort(
        key=lambda s: (
            s.call.file if s.call else "",
            s.call.line if s.call else 0,
            s.conditions[0].line if s.conditions else 0,
        )
    )
    report.specs = specs
    decided = {(s.call.file, s.call.line) for s in specs if s.call}
    for site in sites:
        if (site.file, site.line) not in decided:
            report.notes.append(
                f"{site.file}:{site.line}: {site.provider} {site.method}: no decision found "
                "(the labels are not compared with constants)"
            )
    report.sources = project.sources
    return report


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
