"""Incorrect-decision rates of generic, basic and chameleonapi models, side by side.

The paper's Table 3 protocol: `generic` is the generic labeler, which knows nothing of the
application; `basic` and `chameleonapi` are customized on the same data with the same
budget, `basic` with the cross-entropy fit alone, `chameleonapi` tuned with the
decision-aware loss; all three are scored on the same held-out images with `spec.decide`.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from chameleonapi.spec import DecisionSpec

MODELS = ("generic", "basic", "chameleonapi")


@dataclass
class DecisionResult:
    """Rates of one decision over seeds."""

    spec: DecisionSpec
    rates: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in MODELS})
    n_test: int = 0

    def mean(self, model: str) -> float:
        return statistics.fmean(self.rates[model])

    def spread(self, model: str) -> float:
        values = self.rates[model]
        return statistics.stdev(values) if len(values) > 1 else 0.0

    def to_dict(self) -> dict:
        return {
            "kind": self.spec.kind,
            "order": self.spec.order,
            "provider": self.spec.provider,
            "call": {"file": self.spec.call.file, "line": self.spec.call.line} if self.spec.call else None,
            "categories": [c.name for c in self.spec.categories],
            "rates": {m: self.mean(m) for m in MODELS},
            "spread": {m: self.spread(m) for m in MODELS},
            "per_seed": self.rates,
            "n_test": self.n_test,
        }


def complete_specs(app: str) -> tuple[list[DecisionSpec], list[str]]:
    """Decisions of `app` that can be evaluated, and why the others cannot."""
    from chameleonapi.analysis import analyze_report

    report = analyze_report(app)
    specs, skipped = [], list(report.errors)
    for spec in report.specs:
        if spec.partial or not spec.all_labels:
            skipped.append(f"{spec.call}: {'; '.join(spec.reasons) or 'labels unresolved'}")
        else:
            specs.append(spec)
    return specs, skipped


def evaluate_spec(
    spec: DecisionSpec,
    data: str = "builtin",
    *,
    seeds: int = 1,
    budget: str | dict = "default",
    progress: bool = True,
    test_size: int | None = None,
    on_model: Callable[[str, int], None] | None = None,
    test_data: str | None = None,
) -> DecisionResult:
    """Train (or load) the three models per seed and score them on held-out data: the test
    split of the built-in scenes, or every photo of `test_data` (user data has no idle
    test split: all of it trains or validates)."""
    from chameleonapi.data import load_dataset
    from chameleonapi.training import customize, train_generic
    from chameleonapi.training.pipeline import DATA_SEED, evaluate

    result = DecisionResult(spec)
    scored, split = (test_data, "all") if test_data is not None else (data, "test")
    result.n_test = len(load_dataset(scored, split, seed=DATA_SEED, size=test_size))
    for seed in range(seeds):
        for name in MODELS:
            if on_model:
                on_model(name, seed)
            if name == "generic":
                model = train_generic(spec.provider)
            else:
                loss = "basic" if name == "basic" else "chameleon"
                model = customize(spec, data, loss=loss, progress=progress, seed=seed, budget=budget)
            result.rates[name].append(evaluate(model, spec, scored, split=split, size=test_size))
    return result
