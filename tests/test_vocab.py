"""The label vocabulary: provider strings <-> model outputs, honouring the spec's match."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chameleonapi.spec import Category, DecisionSpec
from chameleonapi.vocab import Vocabulary, provider_style, vocab_table

V = Vocabulary.builtin()
ABSTRACT = {"entity", "physical entity", "object", "whole", "living thing", "abstraction"}


def spec(labels, match="exact", provider="google", kind="true_false"):
    return DecisionSpec(kind, "label", [Category("c", tuple(labels))], match=match, top_k=10, provider=provider)


def test_builtin_holds_the_classes_and_their_ancestors_only():
    for name in ["Bear", "Bird", "Cat", "Cow", "Dog", "Elephant", "Giraffe", "Horse", "Sheep", "Zebra"]:
        assert name in V.labels
    for name in ["Feline", "Carnivore", "Mammal", "Animal", "Ungulate", "Bovid", "Vertebrate", "Organism"]:
        assert name in V.labels
    assert not {label.lower() for label in V.labels} & ABSTRACT
    assert all(label[:1].isupper() for label in V.labels)


def test_ships_the_wordnet_licence():
    assert "Princeton University" in vocab_table()["license"]


def test_lookup_any_case_plural_and_synonyms():
    assert V.lookup("cat") == V.lookup("CAT") == V.lookup("Cats") == "Cat"
    for word, label in [("puppy", "Dog"), ("kitten", "Cat"), ("Pony", "Horse"), ("lamb", "Sheep"),
                        ("calf", "Cow"), ("cattle", "Cattle"), ("ox", "Cattle"), ("ponies", "Horse"),
                        ("domestic dog", "Dog"), ("hoofed mammal", "Ungulate")]:
        assert V.lookup(word) == label, word
    assert V.lookup("Car") is None


def test_expand_adds_every_ancestor():
    cat = V.expand(["cat"])
    assert {"Cat", "Feline", "Carnivore", "Mammal", "Animal", "Organism"} <= cat
    assert "Canine" not in cat
    assert {"Domestic animal", "Canine"} <= V.expand(["Dog"])
    assert V.ancestors("Zebra")[0] == "Equine"


def test_resolve_exact_casefold_and_substring():
    cat, dog = V.labels.index("Cat"), V.labels.index("Dog")
    assert V.resolve(spec(["Cat", "Dog"])).columns == [[cat, dog]]
    assert V.resolve(spec(["cat"], match="casefold")).columns == [[cat]]
    res = V.resolve(spec(["ungulate"], match="substring"))
    assert sorted(res.output_names[j] for j in res.columns[0]) == ["Even-toed ungulate", "Odd-toed ungulate"]
    res = V.resolve(spec(["ungulate"], match="substring_casefold"))
    assert len(res.columns[0]) == 3


def test_resolve_aliases_synonyms_and_reports_unmapped():
    res = V.resolve(spec(["puppy", "Car", "Dog"]))
    assert res.unmapped == ["Car"]
    alias = res.output_names.index("puppy")
    assert res.source[alias] == V.labels.index("Dog")
    assert set(res.columns[0]) == {alias, V.labels.index("Dog")}
    assert res.aliases == {"puppy": "Dog"}


def test_azure_apps_see_lower_case():
    res = V.resolve(spec(["cat"], provider="azure_cv"))
    assert res.output_names[: len(V)] == [label.lower() for label in V.labels]
    assert res.columns == [[V.labels.index("Cat")]] and not res.aliases
    assert provider_style("Tabby cat", "azure_ia") == "tabby cat"
    assert provider_style("Tabby cat", "google") == "Tabby cat"
    assert provider_style("Tabby cat", "aws") == "Tabby Cat"


def test_extended_keeps_known_labels_and_adds_new_ones():
    ext = V.extended(["kitten", "Car"])
    assert ext.labels == V.labels + ["Car"]
    assert V.extended(["Cat"]) is V


MATCHES = ["exact", "casefold", "substring", "substring_casefold"]
APP_WORDS = ["Cat", "cat", "Dog", "ungulate", "Mammal", "puppy", "Bovid", "Even-toed ungulate", "Horse"]


@settings(max_examples=60, deadline=None)
@given(
    truth=st.sets(st.sampled_from(V.labels), max_size=8),
    words=st.lists(st.sampled_from(APP_WORDS), min_size=1, max_size=3, unique=True),
    match=st.sampled_from(MATCHES),
)
def test_resolved_columns_agree_with_the_spec_semantics(truth, words, match):
    """A category's columns contain a true output exactly when the app's decision on the
    true labels (spec.decide_from_truth) selects the category."""
    s = spec(words, match=match)
    res = V.resolve(s)
    true_cols = {V.labels.index(label) for label in truth}
    names = [n for n, src in zip(res.output_names, res.source) if src in true_cols]
    by_columns = any(res.source[j] in true_cols for j in res.columns[0])
    assert by_columns == bool(s.decide_from_truth(names))
