"""A readable view of decision specs, with the source lines that decide."""

from __future__ import annotations

import os

from chameleonapi.analysis.report import Report
from chameleonapi.spec import DecisionSpec

JSON_KEYS = ("kind", "order", "categories", "match", "threshold", "top_k", "provider", "method", "call")


def as_json_objects(specs: list[DecisionSpec]) -> list[dict]:
    """The `--json` view: exactly the documented keys."""
    out = []
    for spec in specs:
        data = spec.to_dict()
        out.append({key: data[key] for key in JSON_KEYS})
    return out


def _short(file: str) -> str:
    try:
        rel = os.path.relpath(file)
    except ValueError:
        return file
    return rel if not rel.startswith("..") else file


def _line(report: Report, file: str, line: int) -> str:
    lines = report.sources.get(file, "").splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def render_text(report: Report) -> str:
    parts: list[str] = []
    for i, spec in enumerate(report.specs, 1):
        call = spec.call
        where = f"{_short(call.file)}:{call.line}" if call else "?"
        parts.append(f"decision {i}: {spec.provider} {spec.method} at {where}")
        if call:
            parts.append(f"    {_line(report, call.file, call.line)}")
        parts.append(f"  kind: {spec.kind}   order: {spec.order}   match: {spec.match}")
        threshold = "none" if spec.threshold is None else f"{spec.threshold:g}"
        top_k = "all" if spec.top_k is None else str(spec.top_k)
        parts.append(f"  threshold: {threshold}   top-k: {top_k}")
        if spec.target == "objects":
            test = f"{spec.count_op} {spec.count}" if spec.count_op else "(the count itself)"
            parts.append(f"  counts objects: {test}")
        parts.append("  categories:")
        for cat in spec.categories:
            labels = ", ".join(repr(label) for label in cat.labels) or "(unresolved)"
            parts.append(f"    {cat.name}: {labels}")
        parts.append("    (other): anything else")
        if spec.conditions:
            parts.append("  decided by:")
            for cond in spec.conditions:
                parts.append(f"    {_short(cond.file)}:{cond.line}: {_line(report, cond.file, cond.line)}")
        if spec.partial:
            parts.append("  partial:")
            parts.extend(f"    - {reason}" for reason in spec.reasons)
        for warning in spec.warnings:
            parts.append(f"  warning: {warning}")
        parts.append("")
    for note in report.notes:
        parts.append(f"note: {note}")
    if not report.specs and not report.notes and not report.errors:
        parts.append("no cloud vision calls found")
    return "\n".join(parts).rstrip() + "\n"
