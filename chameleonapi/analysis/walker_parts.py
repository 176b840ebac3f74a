"""What the walker's handler mixins (statements, expressions, conditions) use of one another
and of `interp.Walker`, declared once so that a type checker can follow the calls between them.
Nothing here exists at run time: `Walker` sets the attributes and the mixins define the methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import itertools

    from astroid import nodes

    from chameleonapi.analysis.constants import EvalContext
    from chameleonapi.analysis.facts import AV, Cond, Rule, Value
    from chameleonapi.analysis.interp import Analyzer, FuncResult


class WalkerParts:
    """The base of the handler mixins (see the module's docstring)."""

    if TYPE_CHECKING:
        an: Analyzer
        func: nodes.NodeNG
        env: dict[str, Value]
        consts: dict[str, Any]
        rules: list[Rule]
        flags: dict[str, Cond]
        tested_flags: set[str]
        result: FuncResult
        seq: itertools.count[int]

        # interp.Walker
        def const(self, node: nodes.NodeNG | None) -> Any: ...
        def ectx(self) -> EvalContext: ...
        def record_flags(self, node: nodes.NodeNG, line: int) -> None: ...

        # expressions.Expressions
        def ev(self, node: nodes.NodeNG | None) -> Value: ...
        def ev_comp(self, node: nodes.ListComp | nodes.SetComp | nodes.GeneratorExp) -> Value: ...
        def _resolve_callee(self, node: nodes.Call) -> nodes.FunctionDef | None: ...

        # statements.Statements
        def bind_loop(self, target: nodes.NodeNG, iterable: AV, loop: int) -> None: ...

        # conditions.Conditions
        def cond(self, node: nodes.NodeNG) -> Cond | None: ...
        def truth(self, node: nodes.NodeNG) -> Value: ...
        def truth_over_consts(self, gens: list[nodes.Comprehension], elt: nodes.NodeNG | None) -> Cond | None: ...
        def regex(self, node: nodes.Call, func: str) -> Value: ...
        def _set_test(self, texts: AV, other: nodes.NodeNG, node: nodes.NodeNG) -> Value: ...
        def _text_cond(
            self, text: AV, other: nodes.NodeNG, mode: str, node: nodes.NodeNG, scope: str | None = None,
            prefix: bool = False,
        ) -> Cond | None: ...
