"""What a constant expression of the application can be, when the analysis resolves it.

`Unknown(reason)` stands for anything read at run time; `OSet` keeps a set's source order
so specs are deterministic; `Ref` is one of the application's modules, classes or functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from astroid import nodes

from chameleonapi.analysis.project import Project

RUNTIME_SOURCES = {
    "open": "a file",
    "read": "a file",
    "readlines": "a file",
    "read_text": "a file",
    "load": "a file",
    "loads": "serialized data",
    "safe_load": "a YAML file",
    "read_csv": "a CSV file",
    "reader": "a CSV file",
    "DictReader": "a CSV file",
    "getenv": "the environment",
    "environ": "the environment",
    "fetchall": "a database",
    "fetchone": "a database",
    "execute": "a database",
    "query": "a database",
    "input": "user input",
    "argv": "the command line",
    "get_json": "a request",
    "urlopen": "the network",
}


@dataclass(frozen=True)
class Unknown:
    reason: str

    def __bool__(self) -> bool:
        return False


class OSet(tuple):
    """An ordered set: set semantics, but source order kept so specs are deterministic."""

    @classmethod
    def of(cls, items: Any) -> OSet:
        seen: dict[Any, None] = {}
        for item in items:
            try:
                seen.setdefault(item, None)
            except TypeError:
                continue
        return cls(seen)


@dataclass(frozen=True)
class Ref:
    """A module, class or function of the application, as a value."""

    node: Any


@dataclass
class EvalContext:
    project: Project
    consts: dict[str, Any] = field(default_factory=dict)  # loop/param names bound to values
    warnings: list[str] = field(default_factory=list)
    depth: int = 0


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def bind_target(target: nodes.NodeNG, value: Any) -> dict[str, Any] | None:
    if isinstance(target, nodes.AssignName):
        return {target.name: value}
    if isinstance(target, (nodes.Tuple, nodes.List)):
        try:
            values = list(value)
        except TypeError:
            return None
        if len(values) != len(target.elts):
            return None
        out: dict[str, Any] = {}
        for sub, val in zip(target.elts, values):
            bound = bind_target(sub, val)
            if bound is None:
                return None
            out.update(bound)
        return out
    return None


def runtime_reason(node: nodes.NodeNG, value: Unknown) -> Unknown:
    """Name the run-time source (file, environment, database) when there is one."""
    for sub in [node, *node.nodes_of_class((nodes.Call, nodes.Attribute, nodes.Name))]:
        name = None
        if isinstance(sub, nodes.Call):
            func = sub.func
            name = func.attrname if isinstance(func, nodes.Attribute) else getattr(func, "name", None)
        elif isinstance(sub, nodes.Attribute):
            name = sub.attrname
        elif isinstance(sub, nodes.Name):
            name = sub.name
        if name in RUNTIME_SOURCES:
            return loaded_at_run_time(name)
    return value


def loaded_at_run_time(name: str) -> Unknown:
    """Why a value read by `name` (one of RUNTIME_SOURCES) is not a constant."""
    return Unknown(f"labels are loaded at run time from {RUNTIME_SOURCES[name]} ({name})")


__all__ = ["RUNTIME_SOURCES", "EvalContext", "OSet", "Ref", "Unknown", "bind_target", "is_unknown",
           "loaded_at_run_time", "runtime_reason"]
