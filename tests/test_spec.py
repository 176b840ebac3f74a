"""DecisionSpec semantics: decide() applies top-k, threshold, match mode and order exactly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chameleonapi.spec import Category, DecisionSpec, SourceLocation


def spec(**kw) -> DecisionSpec:
    base = dict(
        kind="multi_choice", order="label", categories=[Category("cat", ("Cat",)), Category("dog", ("Dog",))]
    )
    base.update(kw)
    return DecisionSpec(**base)


def test_label_order_takes_the_highest_scoring_match() -> None:
    assert spec().decide([("Dog", 0.6), ("Cat", 0.9)]) == "cat"


def test_category_order_takes_the_first_category_present() -> None:
    assert spec(order="category").decide([("Dog", 0.9), ("Cat", 0.2)]) == "cat"


def test_last_order_takes_the_lowest_scoring_match() -> None:
    assert spec(order="last").decide([("Dog", 0.6), ("Cat", 0.9)]) == "dog"


def test_top_k_applies_before_threshold() -> None:
    s = spec(top_k=1, threshold=0.5)
    assert s.decide([("Tree", 0.95), ("Cat", 0.9)]) is None
    assert s.decide([("Cat", 0.4)]) is None
    assert spec(threshold=0.5).decide([("Cat", 0.5)]) == "cat"


@pytest.mark.parametrize(
    ("match", "api", "hit"),
    [
        ("exact", "cat", False),
        ("casefold", "CAT", True),
        ("substring", "Cat toy", True),
        ("substring", "cat toy", False),
        ("substring_casefold", "big cats", True),
    ],
)
def test_match_modes(match: str, api: str, hit: bool) -> None:
    assert (spec(match=match).decide([(api, 0.9)]) == "cat") is hit


def test_multi_select_returns_every_present_category() -> None:
    s = spec(kind="multi_select")
    assert s.decide([("Dog", 0.6), ("Cat", 0.9), ("Tree", 1.0)]) == frozenset({"cat", "dog"})
    assert s.decide([]) == frozenset()


def test_invalid_fields_are_rejected() -> None:
    with pytest.raises(ValueError):
        spec(kind="maybe")
    with pytest.raises(ValueError):
        spec(match="fuzzy")


def test_json_round_trip_and_hash_ignore_locations() -> None:
    s = spec(call=SourceLocation("a.py", 3), conditions=[SourceLocation("a.py", 5)], warnings=["w"])
    again = DecisionSpec.from_json(s.to_json())
    assert again == s and again.to_json() == s.to_json()
    moved = spec(call=SourceLocation("b.py", 9))
    assert moved.stable_hash() == s.stable_hash()
    assert spec(threshold=0.3).stable_hash() != s.stable_hash()


def test_correctness_follows_the_paper() -> None:
    s = spec()
    assert s.is_correct("cat", frozenset({"cat", "dog"}))
    assert not s.is_correct(None, frozenset({"cat"}))
    assert s.is_correct(None, frozenset())
    ms = spec(kind="multi_select")
    assert ms.is_correct(frozenset({"cat"}), frozenset({"cat"}))
    assert not ms.is_correct(frozenset({"cat"}), frozenset({"cat", "dog"}))


labels = st.lists(st.tuples(st.sampled_from(["Cat", "Dog", "cat", "Tree"]), st.floats(0, 1)), max_size=8)


@settings(max_examples=100, deadline=None)
@given(labels, st.sampled_from(["label", "category", "last"]))
def test_decision_is_a_category_of_a_visible_label(ls, order) -> None:
    s = spec(order=order, top_k=3, threshold=0.2, match="casefold")
    decision = s.decide(ls)
    visible = s.visible(ls)
    if decision is None:
        assert not any(s.categories_of(label) for label, _ in visible)
    else:
        assert any(decision in s.categories_of(label) for label, _ in visible)


def test_azure_tag_floor_hides_low_confidence_tags():
    from chameleonapi import services
    from chameleonapi.spec import Category, DecisionSpec

    floor = services.min_score("azure_ia")
    azure = DecisionSpec("multi_select", "label", [Category("#cat", ("cat",))], provider="azure_ia")
    google = DecisionSpec("multi_select", "label", [Category("#cat", ("cat",))], provider="google")
    faint = [("cat", floor / 2), ("dog", 0.9)]
    assert azure.decide(faint) == frozenset()
    assert google.decide(faint) == frozenset({"#cat"})
    assert azure.decide([("cat", floor)]) == frozenset({"#cat"})
    strict = DecisionSpec("multi_select", "label", [Category("#cat", ("cat",))], provider="azure_cv", threshold=0.6)
    assert strict.effective_threshold == 0.6
