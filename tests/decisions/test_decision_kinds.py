"""Every registered decision kind, checked the same way (parametrized over the registry).

A new kind registered in `chameleonapi.decisions` is checked here with no new test: its
loss gives no gradient once every example is right by the margin, its loss and its decision
agree (zero loss means a right decision, a wrong decision costs), decisions made from the
truth are judged right, and its specs survive JSON.
"""

from __future__ import annotations

import random

import pytest

from chameleonapi.decisions import Shape, claim, get_kind, kind_of, kinds, register
from chameleonapi.decisions.true_false import TrueFalse
from chameleonapi.spec import DecisionSpec

torch = pytest.importorskip("torch")

DISTRACTORS = ("Tree", "Car")
DRAWS = 300


def draw(kind, spec: DecisionSpec, rng: random.Random, perfect: bool):
    """Random API outputs and true labels for a spec; `perfect`: true labels score high,
    the rest low; otherwise scores sit near 0 or 1 so many examples are right by the margin."""
    pool = list(spec.all_labels) + list(DISTRACTORS)
    if kind.per_object:
        labels = [rng.choice(pool) for _ in range(rng.randint(0, 7))]
    else:
        labels = pool
    true = [label for label in labels if rng.random() < 0.4]
    if spec.top_k is not None:
        true = true[: spec.top_k]  # at most K labels can be shown at once
    if perfect:  # one entry per true label (per true object when labels repeat) scores high
        left = list(true)
        output = []
        for label in labels:
            real = label in left
            if real:
                left.remove(label)
            output.append((label, 0.95 if real else 0.02))
    else:
        output = [(label, rng.uniform(0.0, 0.2) if rng.random() < 0.5 else rng.uniform(0.8, 1.0)) for label in labels]
    return output, true


def batch(name: str, spec: DecisionSpec, seed: int, perfect: bool):
    kind = get_kind(name)
    rng = random.Random(seed)
    outputs, truths = zip(*(draw(kind, spec, rng, perfect) for _ in range(DRAWS)))
    return kind, list(outputs), list(truths)


def specs_of(name: str) -> list[DecisionSpec]:
    specs = [DecisionSpec.from_dict(data) for data in get_kind(name).examples()]
    assert specs, f"{name} gives no example specs"
    return specs


@pytest.mark.parametrize("name", kinds())
def test_no_gradient_once_every_example_is_right_by_the_margin(name):
    for i, spec in enumerate(specs_of(name)):
        kind, outputs, truths = batch(name, spec, i, perfect=True)
        scores, truth = kind.tensors(spec, outputs, truths)
        loss = kind.loss(scores, truth)
        assert loss.shape == (len(outputs),)
        assert float(loss.detach().abs().max()) == 0.0, (spec.to_json(), outputs[int(loss.argmax())])
        loss.sum().backward()
        grad = scores.p.grad
        assert grad is None or float(grad.abs().max()) == 0.0


@pytest.mark.parametrize("name", kinds())
def test_zero_loss_means_a_right_decision_and_a_wrong_decision_costs(name):
    for i, spec in enumerate(specs_of(name)):
        kind, outputs, truths = batch(name, spec, 100 + i, perfect=False)
        scores, truth = kind.tensors(spec, outputs, truths)
        loss = kind.loss(scores, truth).detach()
        right = [kind.is_correct(spec, kind.decide(spec, out), kind.truth(spec, t)) for out, t in zip(outputs, truths)]
        free = [float(v) == 0.0 for v in loss]
        assert any(free) and not all(right), "the draws must hold both cases"
        for n, (ok, zero) in enumerate(zip(right, free)):
            assert ok or not zero, (spec.to_json(), outputs[n], truths[n])


@pytest.mark.parametrize("name", kinds())
def test_gradient_descent_on_the_loss_mends_wrong_decisions(name):
    for i, spec in enumerate(specs_of(name)):
        kind, outputs, truths = batch(name, spec, 200 + i, perfect=False)
        scores, truth = kind.tensors(spec, outputs, truths)
        before = kind.loss(scores, truth)
        before.sum().backward()
        with torch.no_grad():
            stepped = (scores.p - 0.01 * scores.p.grad).clamp(0, 1)
        scores.p = stepped
        after = kind.loss(scores, truth)
        assert float(after.detach().sum()) < float(before.detach().sum())


@pytest.mark.parametrize("name", kinds())
def test_decisions_made_from_the_truth_are_right_and_others_are_judged(name):
    for i, spec in enumerate(specs_of(name)):
        kind, outputs, truths = batch(name, spec, 300 + i, perfect=True)
        decisions = [kind.decide(spec, out) for out in outputs]
        truth_sets = [kind.truth(spec, t) for t in truths]
        assert all(kind.is_correct(spec, d, t) for d, t in zip(decisions, truth_sets))
        assert spec.decide(outputs[0]) == decisions[0] and spec.decide_from_truth(truths[0]) == truth_sets[0]
        swapped = [kind.is_correct(spec, d, t) for d, t in zip(decisions, truth_sets[1:] + truth_sets[:1])]
        assert not all(swapped), "another image's truth must make some decisions wrong"


@pytest.mark.parametrize("name", kinds())
def test_specs_of_each_kind_round_trip_through_json(name):
    for spec in specs_of(name):
        again = DecisionSpec.from_json(spec.to_json())
        assert again == spec
        assert again.stable_hash() == spec.stable_hash()
        assert kind_of(again) is get_kind(name)


@pytest.mark.parametrize("name", kinds())
def test_sample_weights_are_a_distribution(name):
    for i, spec in enumerate(specs_of(name)):
        kind, _, truths = batch(name, spec, 400 + i, perfect=True)
        weights = kind.sample_weights(spec, [kind.truth(spec, t) for t in truths])
        assert weights.shape == (len(truths),) and (weights > 0).all()
        assert float(weights.sum()) == pytest.approx(1.0)


def test_the_registry_refuses_a_second_kind_of_the_same_name_and_names_what_it_has():
    with pytest.raises(ValueError, match="already registered"):
        register(TrueFalse())
    with pytest.raises(KeyError, match="true_false"):
        get_kind("no_such_kind")


def test_the_analysis_gets_each_kind_from_the_kinds_own_rules():
    assert claim(Shape(categories=1)).name == "true_false"
    assert claim(Shape(categories=3)).name == "multi_choice"
    assert claim(Shape(categories=1, open_labels=True)).name == "multi_choice"  # the label itself is returned
    assert claim(Shape(categories=3, several=True)).name == "multi_select"
    assert claim(Shape(categories=1, several=True)).name == "true_false"
    assert claim(Shape(categories=1, target="objects")).name == "object_count"
    assert get_kind("true_false").order_for("last") == "label"  # one category: first and last match alike
