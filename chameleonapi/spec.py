"""DecisionSpec: the data of an application's decision process (canonical JSON, stable hash).

What a spec means lives in its decision kind (`chameleonapi.decisions`, found with
`kind_of(spec)`); `spec.decide(label_scores)` and `spec.is_correct` ask that kind, so
everything downstream (the loss, evaluation, tests) keeps one source of truth.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from chameleonapi import services
from chameleonapi.decisions import kind_of, spec_kinds
from chameleonapi.decisions.object_count import COUNT_OPS

ORDERS = ("label", "category", "last")
MATCHES = ("exact", "casefold", "substring", "substring_casefold")  # each looser than the one before
TARGETS = ("labels", "objects")

LabelScores = Sequence[tuple[str, float]]


@dataclass(frozen=True)
class SourceLocation:
    """A place in the application's source (1-based line)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Category:
    """One outcome of the decision and the API labels that select it."""

    name: str
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(self.labels))


@dataclass
class DecisionSpec:
    """What an application decides from one API call's labels.

    `categories` are ordered; "other" (nothing matched) is implicit and decided as `None`.
    `threshold` keeps labels whose score is >= threshold; `top_k` keeps the first K labels
    of the API's score-ordered output (applied before the threshold, as the API does).
    """

    kind: str
    order: str
    categories: list[Category]
    match: str = "exact"
    threshold: float | None = None
    top_k: int | None = None
    provider: str = ""
    method: str = ""
    call: SourceLocation | None = None
    conditions: list[SourceLocation] = field(default_factory=list)
    partial: bool = False
    reasons: list[str] = field(default_factory=list)
    # Things worth a look that do not make the spec partial (e.g. "a" "b" joined into one label).
    warnings: list[str] = field(default_factory=list)
    # Object decisions: `target="objects"` counts the reported objects (each entry of the
    # output is one object) that select a category; with `count_op`/`count` the decision is
    # "count OP count" (e.g. more than 3 sheep), without them the count itself is used and
    # `decide` reports presence. Label decisions leave these at their defaults.
    target: str = "labels"
    count_op: str | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in spec_kinds():
            raise ValueError(f"kind must be one of {spec_kinds()}, got {self.kind!r}")
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {self.order!r}")
        if self.match not in MATCHES:
            raise ValueError(f"match must be one of {MATCHES}, got {self.match!r}")
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, got {self.target!r}")
        if self.count_op is not None and (self.count_op not in COUNT_OPS or self.count is None):
            raise ValueError(f"count_op must be one of {COUNT_OPS} with a count, got {self.count_op!r}")
        self.categories = [c if isinstance(c, Category) else Category(**c) for c in self.categories]
        if isinstance(self.call, dict):
            self.call = SourceLocation(**self.call)
        self.conditions = [c if isinstance(c, SourceLocation) else SourceLocation(**c) for c in self.conditions]

    # ----------------------------------------------------------------- semantics
    @property
    def category_names(self) -> list[str]:
        return [c.name for c in self.categories]

    def label_matches(self, api_label: str, app_label: str) -> bool:
        """Does an API label satisfy one of the application's label strings?"""
        if self.match == "exact":
            return api_label == app_label
        if self.match == "casefold":
            return api_label.casefold() == app_label.casefold()
        if self.match == "substring":
            return app_label in api_label
        return app_label.casefold() in api_label.casefold()

    def categories_of(self, api_label: str) -> list[str]:
        """Names of the categories one API label selects, in category order."""
        return [c.name for c in self.categories if any(self.label_matches(api_label, a) for a in c.labels)]

    def visible(self, label_scores: LabelScores) -> list[tuple[str, float]]:
        """The labels the application actually sees: score-ordered, top-k, then threshold."""
        ranked = sorted(label_scores, key=lambda ls: -ls[1])
        if self.top_k is not None:
            ranked = ranked[: self.top_k]
        threshold = self.effective_threshold
        if threshold is not None:
            ranked = [ls for ls in ranked if ls[1] >= threshold]
        return ranked

    @property
    def effective_threshold(self) -> float | None:
        """The application's own threshold, raised to its provider's tag reporting floor."""
        floor = services.min_score(self.provider)
        if floor is None or self.method.startswith("detect_objects") or self.target == "objects":
            return self.threshold
        return floor if self.threshold is None else max(self.threshold, floor)

    def decide(self, label_scores: LabelScores) -> str | None | frozenset[str]:
        """What the application decides for this API output: a category name (or `None` for
        "other"), or a frozenset of category names for multi-select (see its decision kind)."""
        return kind_of(self).decide(self, label_scores)

    def count_objects(self, label_scores: LabelScores) -> int:
        """How many reported objects (visible entries) select one of the categories."""
        return sum(1 for label, _ in self.visible(label_scores) if self.categories_of(label))

    def decide_from_truth(self, true_labels: Iterable[str]) -> frozenset[str]:
        """Ground-truth categories: what the decision should be, given the image's true labels
        (for object counts, one label per true object)."""
        return kind_of(self).truth(self, true_labels)

    def is_correct(self, decision: str | None | frozenset[str], truth: frozenset[str]) -> bool:
        """The paper's correctness: TF/MC pick one present category (or "other" when none is
        present); MS selects exactly the present set."""
        return kind_of(self).is_correct(self, decision, truth)

    # ----------------------------------------------------------------- identity
    def to_dict(self) -> dict:
        data = asdict(self)
        data["categories"] = [{"name": c.name, "labels": list(c.labels)} for c in self.categories]
        if self.target == "labels" and self.count_op is None and self.count is None:
            for key in ("target", "count_op", "count"):
                del data[key]  # label decisions serialize exactly as before these fields existed
        return data

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no whitespace variance."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict) -> DecisionSpec:
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> DecisionSpec:
        return cls.from_dict(json.loads(text))

    def semantic_dict(self) -> dict:
        """The fields that change what is decided (not where it was found)."""
        data = {
            "kind": self.kind,
            "order": self.order,
            "categories": [{"name": c.name, "labels": list(c.labels)} for c in self.categories],
            "match": self.match,
            "threshold": self.threshold,
            "top_k": self.top_k,
        }
        if self.target != "labels" or self.count_op is not None:
            data.update(target=self.target, count_op=self.count_op, count=self.count)
        return data

    def stable_hash(self) -> str:
        """Hash of the decision semantics: equal decisions share customized models."""
        blob = json.dumps(self.semantic_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def all_labels(self) -> list[str]:
        return list(dict.fromkeys(label for c in self.categories for label in c.labels))

