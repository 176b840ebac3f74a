"""The abstract values the analysis tracks from an SDK call to the conditions that decide.

An `AV` (of a `Kind`) says what an expression holds relative to one API call (the response, its label
list, one label, a label's text or score, ...); a `Cond` is a test over labels that the
application writes; a `Rule` pairs a test with what the application does when it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from astroid import nodes

from chameleonapi import services


class Kind(Enum):
    """What an abstract value holds, relative to one API call."""

    RESP = "resp"  # one image's response
    RESPS = "resps"  # a batch response / list of responses
    LABELS = "labels"  # the (score-ordered) label objects
    LABEL = "label"  # one label object
    TEXT = "text"  # one label's text
    TEXTS = "texts"  # the label texts (list or set)
    SCORE = "score"  # one label's score
    SCOREMAP = "scoremap"  # {text: score}
    BLOB = "blob"  # all label texts in one string (str(labels), " ".join(texts))
    MATCH = "match"  # the label text chosen by a search (next(...), filtered list)
    COUNT = "count"  # how many labels a search found: len(filtered list)
    MAPPED = "mapped"  # a label's text mapped through a constant dict
    ENUM = "enum"  # enumerate(labels): (index, label) pairs
    RECORD = "record"  # a dict literal holding some of the above under constant keys
    OTHER = "other"  # a tuple element that is none of the above

    def __repr__(self) -> str:
        return f"Kind.{self.name}"


@dataclass(frozen=True)
class Site:
    """One SDK call in the application and what its request sets."""

    provider: str
    method: str
    file: str
    line: int
    top_k: int | None = None
    threshold: float | None = None
    reasons: tuple[str, ...] = ()
    node: Any = field(default=None, compare=False, hash=False, repr=False)

    @property
    def scale(self) -> float:
        """Scores in the application's code are on this scale (AWS uses 0-100)."""
        return services.descriptor(self.provider).score_scale


@dataclass(frozen=True)
class AV:
    """An abstract value: what an expression holds relative to one SDK call."""

    kind: Kind
    site: Site
    top_k: int | None = None
    threshold: float | None = None
    folded: bool = False  # text was lower()/upper()/casefold()-ed
    cond: Cond | None = None  # MATCH: the test the chosen label passed
    mapping: tuple[tuple[str, Any], ...] | None = None  # MAPPED: label -> value
    loop: int | None = None  # LABEL/TEXT: the loop that binds it
    many: bool = False  # MATCH: all matching labels (a filtered list), not the first
    also: tuple[Site, ...] = ()  # other calls the value may come from (a retry in `except`)
    fields: tuple[tuple[str, Any], ...] | None = None  # RECORD, or labels repacked as dicts: key -> AV

    def narrowed(self, kind: Kind, **changes: Any) -> AV:
        return replace(self, kind=kind, **changes)

    def with_top_k(self, k: int | None) -> AV:
        if k is None:
            return self
        return replace(self, top_k=k if self.top_k is None else min(k, self.top_k))

    def with_threshold(self, t: float | None) -> AV:
        if t is None:
            return self
        return replace(self, threshold=t if self.threshold is None else max(t, self.threshold))


@dataclass(frozen=True)
class Cond:
    """A test the application writes over labels.

    scope "label": about the label bound by loop `loop`; "any": some visible label passes;
    "score": only a score threshold on the loop's label. `labels=None` means any label.
    """

    scope: str
    site: Site
    labels: tuple[str, ...] | None
    match: str = "exact"
    threshold: float | None = None
    top_k: int | None = None
    loop: int | None = None
    negated: bool = False
    lines: tuple[int, ...] = ()
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    mapping: tuple[tuple[str, Any], ...] | None = None  # label -> value (MAPPED tests)
    via: tuple[int, ...] = field(default=(), compare=False)  # predicate functions it came from
    also: tuple[Site, ...] = ()  # other calls whose labels the test may be over
    flags: tuple[str, ...] = field(default=(), compare=False)  # `if found:`: the flag variables it stands for


@dataclass(frozen=True)
class Outcome:
    """What a branch yields: a constant, the matching label itself, or a mapped value."""

    kind: str  # const | label | map | branch (only that the branch ran) | open (items read at run time) | unknown
    value: Any = None


@dataclass(frozen=True)
class Effect:
    kind: str  # return | set | add | call
    target: str
    outcome: Outcome
    terminates: bool
    line: int


@dataclass
class Rule:
    cond: Cond
    effect: Effect
    chain: tuple[int, int] | None  # (if/elif chain id, branch index)
    seq: int
    unroll: tuple[int, int] | None = None  # (unrolled loop id, iteration)
    file: str = ""
    branch: int = 0  # the guarded block the effect is in (effects of one branch share it)


@dataclass(frozen=True)
class State:
    """Where the walker is: the tests guarding this point, the if/elif chain, the loops."""

    guards: tuple[Cond, ...] = ()
    chain: tuple[int, int] | None = None
    unroll: tuple[int, int] | None = None
    loops: tuple[int, ...] = ()
    branch: int = 0
    nested: bool = False  # inside an if: an assignment there may not happen


Value = AV | Cond | None

MAX_UNROLL = 256  # loops over constant lists are unrolled up to this many items

FINAL = 10**6  # Rule.seq offset of rules read from a function's unguarded return


def loc(node: nodes.NodeNG) -> int:
    return node.lineno or 0


def unrolled(items: Any) -> list | None:
    """The first MAX_UNROLL items of a constant collection (a dict's keys), or None when it is none."""
    try:
        return list(items)[:MAX_UNROLL]
    except TypeError:
        return None


__all__ = ["AV", "FINAL", "MAX_UNROLL", "Cond", "Effect", "Kind", "Outcome", "Rule", "Site", "State", "Value", "loc",
           "unrolled"]
