"""Patterns from source snippets: how code shapes map to kind, order, match, threshold."""

from __future__ import annotations

import textwrap

import pytest

from chameleonapi.analysis import analyze, analyze_report

GOOGLE = "from google.cloud import vision\nclient = vision.ImageAnnotatorClient()\n"


def one(body: str, header: str = GOOGLE):
    specs = analyze(header + textwrap.dedent(body))
    assert len(specs) == 1, [s.to_dict() for s in specs]
    return specs[0]


def test_flags_loop_elif_is_multi_select_and_decides_independently() -> None:
    spec = one(
        """
        def f(img):
            a = b = False
            for l in client.label_detection(image=img).label_annotations:
                if l.description == "A":
                    a = True
                elif l.description == "B":
                    b = True
            return a, b
        """
    )
    assert spec.kind == "multi_select"
    assert spec.decide([("A", 0.9), ("B", 0.8)]) == frozenset({"a", "b"})


def test_independent_assignments_over_all_labels_let_the_last_test_win() -> None:
    spec = one(
        """
        def f(img):
            names = [l.description for l in client.label_detection(image=img).label_annotations]
            kind = None
            if "Cat" in names:
                kind = "cat"
            if "Dog" in names:
                kind = "dog"
            return kind
        """
    )
    assert (spec.kind, spec.order) == ("multi_choice", "category")
    assert spec.category_names == ["dog", "cat"]
    assert spec.decide([("Cat", 0.9), ("Dog", 0.5)]) == "dog"


def test_regex_over_joined_labels_is_a_substring_test() -> None:
    spec = one(
        """
        import re
        def f(img):
            text = " ".join(l.description for l in client.label_detection(image=img).label_annotations)
            return bool(re.search("(?i)fire|smoke", text))
        """
    )
    assert spec.match == "substring_casefold"
    assert spec.categories[0].labels == ("fire", "smoke")
    assert spec.decide([("Wildfire", 0.9)]) == spec.category_names[0]


def test_environment_list_is_unresolved_with_a_reason() -> None:
    spec = one(
        """
        import os
        WANTED = os.environ["WANTED"].split(",")
        def f(img):
            return any(l.description in WANTED for l in client.label_detection(image=img).label_annotations)
        """
    )
    assert spec.partial and spec.categories[0].labels == ()
    assert any("environment" in r for r in spec.reasons)


def test_argument_that_differs_between_call_sites_is_not_guessed() -> None:
    # each caller binds its own list: the analysis reports the caller's decision, never a mix
    report = analyze_report(
        GOOGLE
        + textwrap.dedent(
            """
        def f(img, wanted):
            return any(l.description in wanted for l in client.label_detection(image=img).label_annotations)
        def g(img):
            return f(img, ["Cat"])
        def h(img):
            return f(img, ["Dog"])
        """
        )
    )
    assert sorted(s.categories[0].labels for s in report.specs) == [("Cat",), ("Dog",)]


def test_aws_scale_is_normalized_and_request_sets_k_and_floor() -> None:
    spec = one(
        """
        def f(data):
            r = client.detect_labels(Image={"Bytes": data}, MaxLabels=7, MinConfidence=60)
            return [l["Name"] for l in r["Labels"] if l["Confidence"] >= 85 and l["Name"] in ("Dog", "Cat")]
        """,
        header="import boto3\nclient = boto3.client('rekognition')\n",
    )
    assert (spec.provider, spec.top_k, spec.threshold) == ("aws", 7, 0.85)
    assert spec.kind == "multi_select"
    assert spec.decide([("Dog", 0.9), ("Cat", 0.86), ("Cow", 0.99)]) == frozenset({"Dog", "Cat"})


def test_dict_get_mapping_in_loop_decides_in_label_order() -> None:
    spec = one(
        """
        MAP = {"Cat": "pet", "Dog": "pet", "Wolf": "wild"}
        def f(img):
            for l in client.label_detection(image=img).label_annotations:
                kind = MAP.get(l.description)
                if kind:
                    return kind
            return None
        """
    )
    assert (spec.kind, spec.order) == ("multi_choice", "label")
    assert [(c.name, c.labels) for c in spec.categories] == [("pet", ("Cat", "Dog")), ("wild", ("Wolf",))]


@pytest.mark.parametrize(
    "source",
    [
        "",
        "x = 1\n",
        "def f(:\n",
        "\x00\x01binary",
        "import re\nre.search(",
        "client.label_detection()\n",
        "for l in client.label_detection(image=1).label_annotations:\n    if l.description in undefined_name: pass\n",
        "def f(x):\n    return f(x)\n",
        "a = a + 1\nclient.tag_image(a)\n",
    ],
)
def test_any_input_returns_a_result_without_raising(source: str) -> None:
    report = analyze_report(source)
    assert isinstance(report.specs, list)
    assert all("\n" not in e for e in report.errors)


def test_import_of_chameleonapi_does_not_import_astroid() -> None:
    import subprocess
    import sys

    code = "import sys, chameleonapi, chameleonapi.spec; print('astroid' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_retry_in_except_decides_over_either_call() -> None:
    specs = analyze(
        GOOGLE
        + textwrap.dedent(
            """
            def f(img):
                try:
                    r = client.label_detection(image=img)
                except TypeError:
                    r = client.label_detection(img)
                tags = [getattr(t, "description", "").lower() for t in getattr(r, "label_annotations", [])]
                if "coffee" in tags:
                    return "match"
                return None
            """
        )
    )
    assert sorted(s.call.line for s in specs) == [6, 8]
    assert {(s.kind, s.match, s.categories[0].labels) for s in specs} == {
        ("true_false", "casefold", ("coffee",))
    }


def test_strings_accumulated_per_category_select_several() -> None:
    spec = one(
        """
        def f(img):
            seen = ""
            for l in client.label_detection(image=img).label_annotations:
                if l.description in ["Cup", "Mug"]:
                    seen += "cup, "
                elif l.description in ["Phone"]:
                    seen += "phone, "
            print("I can see:", seen)
        """
    )
    assert (spec.kind, spec.category_names) == ("multi_select", ["cup", "phone"])
    assert spec.decide([("Mug", 0.9), ("Phone", 0.8), ("Tree", 0.7)]) == frozenset({"cup", "phone"})


def test_a_list_filter_over_constant_words_is_a_label_test() -> None:
    spec = one(
        """
        WORDS = ["Cat", "Dog"]
        def f(img):
            for l in client.label_detection(image=img).label_annotations:
                hits = [w for w in WORDS if l.description.lower() == w.lower()]
                if hits:
                    return True
            return False
        """
    )
    assert (spec.kind, spec.match) == ("true_false", "casefold")
    assert {x.lower() for x in spec.categories[0].labels} == {"cat", "dog"}
