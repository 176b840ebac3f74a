"""The value of an expression in the application: constant folding with names resolved.

`folding` folds expressions; `bindings` resolves the names and attributes in them to what
they are bound to, folding those values in turn. Each needs the other, so they are wired
together here, once: import `evaluate` from this module.
"""

from __future__ import annotations

from astroid import nodes

from chameleonapi.analysis.bindings import attribute_value, name_value
from chameleonapi.analysis.folding import evaluate, evaluate_test, resolve_with

__all__ = ["evaluate", "evaluate_test"]

resolve_with(nodes.Name, name_value)
resolve_with(nodes.Attribute, attribute_value)
