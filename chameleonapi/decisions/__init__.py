"""Decision kinds as registered strategies: what each kind of decision means.

One module per kind (`true_false`, `multi_choice`, `multi_select`, `object_count`), each a
`DecisionKind` (see `base.py`) with decide, truth and correctness, the per-example
decision-aware loss, the analysis' rule for which code makes it, and sampling weights.
`kind_of(spec)` finds the kind of a `DecisionSpec`. No torch is imported here.
"""

from __future__ import annotations

from chameleonapi.decisions.base import Decision, DecisionKind, LabelKind, Shape
from chameleonapi.decisions.multi_choice import MultiChoice
from chameleonapi.decisions.multi_select import MultiSelect
from chameleonapi.decisions.object_count import ObjectCount
from chameleonapi.decisions.registry import claim, get_kind, kind_of, kinds, register, spec_kinds
from chameleonapi.decisions.true_false import TrueFalse

__all__ = ["Decision", "DecisionKind", "LabelKind", "Shape", "claim", "get_kind", "kind_of", "kinds",
           "register", "spec_kinds"]

register(TrueFalse())
register(MultiChoice())
register(MultiSelect())
register(ObjectCount())
