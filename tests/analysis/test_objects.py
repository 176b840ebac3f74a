"""Object-count decisions: the analysis reads them, and `spec.decide` matches the app's own code."""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chameleonapi.analysis import analyze
from chameleonapi.spec import DecisionSpec

APPS = Path(__file__).resolve().parents[2] / "benchmarks" / "detection_apps"

GOOGLE_HEAD = '''
from google.cloud import vision

client = vision.ImageAnnotatorClient()
'''

CASES = {
    "filtered_len": (
        GOOGLE_HEAD + '''
def alert(content):
    objects = client.object_localization(image=vision.Image(content=content)).localized_object_annotations
    sheep = [o for o in objects if o.name == "Sheep" and o.score > 0.6]
    return len(sheep) > 3
''',
        {"labels": ["Sheep"], "threshold": 0.6, "count_op": ">", "count": 3, "match": "exact"},
    ),
    "sum_reversed_casefold": (
        GOOGLE_HEAD + '''
ANIMALS = {"zebra", "giraffe"}


def busy(content):
    response = client.object_localization(image=vision.Image(content=content))
    n = sum(1 for o in response.localized_object_annotations if o.name.lower() in ANIMALS)
    return 2 <= n
''',
        {"labels": ["zebra", "giraffe"], "threshold": None, "count_op": ">=", "count": 2, "match": "casefold"},
    ),
    "counter_loop": (
        GOOGLE_HEAD + '''
def how_many(content):
    seen = 0
    for obj in client.object_localization(image=vision.Image(content=content)).localized_object_annotations:
        if obj.score >= 0.5:
            if obj.name == "Horse":
                seen += 1
    return seen
''',
        {"labels": ["Horse"], "threshold": 0.5, "count_op": None, "count": None, "match": "exact"},
    ),
}


def _load(tmp_path: Path, name: str, source: str):
    from unittest import mock

    from google.auth.credentials import AnonymousCredentials

    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    with mock.patch("google.auth.default", return_value=(AnonymousCredentials(), "test")):
        spec.loader.exec_module(module)
    return path, module


@pytest.mark.parametrize("case", sorted(CASES))
def test_count_decisions_are_read_from_the_code(case, tmp_path):
    source, expected = CASES[case]
    path = tmp_path / f"{case}.py"
    path.write_text(textwrap.dedent(source))
    specs = [s for s in analyze(path) if s.target == "objects"]
    assert len(specs) == 1
    spec = specs[0]
    assert sorted(spec.all_labels) == sorted(expected["labels"])
    assert (spec.threshold, spec.count_op, spec.count, spec.match) == (
        expected["threshold"], expected["count_op"], expected["count"], expected["match"]
    )
    assert spec.method == "object_localization" and spec.top_k == 10 and not spec.partial
    assert DecisionSpec.from_json(spec.to_json()) == spec


def test_every_benchmark_detection_app_is_a_count_decision():
    for path in sorted(APPS.glob("*.py")):
        specs = [s for s in analyze(path) if s.target == "objects"]
        assert len(specs) == 1, path.name
        assert specs[0].all_labels and not specs[0].partial, path.name


def test_label_specs_serialize_and_hash_as_before():
    spec = DecisionSpec(kind="true_false", order="label", categories=[{"name": "cat", "labels": ["Cat"]}])
    assert not {"target", "count_op", "count"} & set(spec.to_dict())
    old = {"kind": "true_false", "order": "label", "categories": [{"name": "cat", "labels": ["Cat"]}],
           "match": "exact", "threshold": None, "top_k": None}
    import hashlib

    blob = json.dumps(old, sort_keys=True, separators=(",", ":"))
    assert spec.stable_hash() == hashlib.sha256(blob.encode()).hexdigest()[:16]
    counted = DecisionSpec(kind="true_false", order="category", categories=[{"name": "c", "labels": ["Cat"]}],
                           target="objects", count_op=">", count=1)
    assert counted.stable_hash() != spec.stable_hash()
    with pytest.raises(ValueError):
        DecisionSpec(kind="true_false", order="label", categories=[], count_op=">")


NAMES = ["Sheep", "Zebra", "Giraffe", "Horse", "Cow", "zebra"]
objects_strategy = st.lists(
    st.tuples(st.sampled_from(NAMES), st.floats(0.0, 1.0, allow_nan=False, width=32)), max_size=8
)


def _google_response(objects):
    from google.cloud import vision

    annotations = [vision.LocalizedObjectAnnotation(name=n, score=s) for n, s in objects]
    return vision.BatchAnnotateImagesResponse(
        responses=[vision.AnnotateImageResponse(localized_object_annotations=annotations)]
    )


@pytest.fixture(scope="module")
def google_apps(tmp_path_factory):
    root = tmp_path_factory.mktemp("count_apps")
    out = {}
    for case, (source, _) in CASES.items():
        path, module = _load(root, f"count_{case}", source)
        (spec,) = [s for s in analyze(path) if s.target == "objects"]
        out[case] = (module, spec)
    return out


@settings(max_examples=40, deadline=None)
@given(objects=objects_strategy)
def test_google_count_apps_decide_as_their_specs(google_apps, objects):
    from unittest import mock

    from google.cloud import vision

    for case, (module, spec) in google_apps.items():
        entry = getattr(module, [n for n in vars(module) if n in ("alert", "busy", "how_many")][0])
        with mock.patch.object(vision.ImageAnnotatorClient, "batch_annotate_images", return_value=_google_response(objects)):
            got = entry(b"img")
        f32 = [(n, float(vision.LocalizedObjectAnnotation(score=s).score)) for n, s in objects]
        if spec.count_op is None:
            assert got == spec.count_objects(f32), case
        else:
            assert got == (spec.decide(f32) is not None), case


@settings(max_examples=40, deadline=None)
@given(objects=st.lists(st.tuples(st.sampled_from(["cow", "horse", "sheep", "bear"]), st.floats(0, 1)), max_size=8))
def test_azure_benchmark_app_decides_as_its_spec(objects):
    from unittest import mock

    from azure.cognitiveservices.vision.computervision import ComputerVisionClient
    from azure.cognitiveservices.vision.computervision.models import DetectResult

    path = APPS / "pasture_gate.py"
    spec = importlib.util.spec_from_file_location("pasture_gate_app", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (decision,) = [s for s in analyze(path) if s.target == "objects"]
    result = DetectResult.deserialize(
        {"objects": [{"object": n, "confidence": c, "rectangle": {"x": 0, "y": 0, "w": 1, "h": 1}} for n, c in objects]}
    )
    with mock.patch.object(ComputerVisionClient, "detect_objects", return_value=result):
        got = module.should_close_gate("https://example.com/gate.jpg")
    # the code's strict `>` differs from the spec's `>=` only for a score exactly at the threshold
    if all(c != decision.threshold for _, c in objects):
        assert got == (decision.decide(objects) is not None)


def test_the_text_view_shows_the_count_test():
    from chameleonapi.analysis import analyze_report
    from chameleonapi.analysis.render import as_json_objects, render_text

    report = analyze_report(APPS / "sheep_pen.py")
    assert "counts objects: > 2" in render_text(report)
    assert "count_op" not in as_json_objects(report.specs)[0]  # the --json keys stay as documented
