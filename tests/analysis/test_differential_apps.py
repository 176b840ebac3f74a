"""Differential tests: each app's own function, with the SDK answering random labels, decides
exactly as the analyzed spec's `decide` says."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chameleonapi.analysis import analyze
from chameleonapi.analysis.live import LiveScope
from chameleonapi.spec import DecisionSpec
from tests.apploader import load_app as load_module
from tests.paths import APPS

META = json.loads((APPS / "expected_meta.json").read_text())
RUNNABLE = sorted(name for name, meta in META.items() if meta)
DISTRACTORS = ["Tree", "Sky", "Person", "Grass", "Building", "Vehicle", "Animal", "Plant"]

_sdk_fakes = load_module(APPS / "_sdk_fakes.py", "chameleonapi_test_sdk_fakes")


def vocabulary(spec: DecisionSpec) -> list[str]:
    """Label texts near the app's own: case variants, longer labels containing them, others."""
    words: list[str] = []
    for label in spec.all_labels:
        words += [label, label.lower(), label.upper(), label.title(), f"{label} toy", f"Big {label.lower()}s"]
    return list(dict.fromkeys(words + DISTRACTORS))


def label_sets(spec: DecisionSpec):
    pair = st.tuples(st.sampled_from(vocabulary(spec)), st.integers(1, 999))
    pairs = st.lists(pair, max_size=14, unique_by=(lambda p: p[0], lambda p: p[1]))
    # scores never sit on a two-decimal threshold; Google's travel as float32
    convert = _sdk_fakes.f32 if spec.provider == "google" else float
    return pairs.map(lambda ps: [(t, convert(s / 1000 + 0.0003)) for t, s in ps])


def load_app(name: str):
    meta = META[name]
    path = APPS / name / meta["module"] if "module" in meta else APPS / name
    folder = str(path.parent)
    before = set(sys.modules)
    sys.path.insert(0, folder)  # the app's own folder, as `python app.py` would put it first
    try:
        module = load_module(path, f"chameleonapi_test_app_{path.stem}")
    finally:
        sys.path.remove(folder)
        for added in set(sys.modules) - before:
            if getattr(sys.modules[added], "__file__", "") and str(APPS) in (
                sys.modules[added].__file__ or ""
            ):
                del sys.modules[added]
    return module


def frame_in(module):
    """A frame whose globals are the loaded app's, as its own call site's would be."""
    namespace = module.__dict__
    code = compile("import sys as _sys\ndef _here():\n    return _sys._getframe()\n", module.__file__, "exec")
    exec(code, namespace)  # noqa: S102
    return namespace.pop("_here")()


def observed(result, spec: DecisionSpec):
    """The app's answer in the spec's terms (category name, None, or a set of names)."""
    names = spec.category_names
    per_label = all(c.name in c.labels for c in spec.categories)

    def to_name(value):
        if value in names:
            return value
        if per_label and isinstance(value, str):
            hits = spec.categories_of(value)
            return hits[0] if hits else None
        return None

    if spec.kind == "multi_select":
        items = [k for k, v in result.items() if v] if isinstance(result, dict) else list(result or [])
        return frozenset(n for n in map(to_name, items) if n is not None)
    if spec.kind == "true_false" and not isinstance(result, str):
        return names[0] if result else None
    return to_name(result)


def argument(kind: str, tmp_path: Path):
    if kind == "path":
        path = tmp_path / "photo.jpg"
        path.write_bytes(b"\xff\xd8 not really a jpeg")
        return str(path)
    if kind == "url":
        return "https://example.com/photo.jpg"
    return b"\xff\xd8 not really a jpeg"


@pytest.mark.parametrize("name", RUNNABLE)
def test_app_decides_like_its_spec(name: str, tmp_path: Path) -> None:
    meta = META[name]
    arg = argument(meta["arg"], tmp_path)
    with _sdk_fakes.FAKES[meta.get("provider", "google")]() if meta.get("live") else nullcontext():
        # labels read at run time: analysed as at the app's first call, with its live values
        live = LiveScope(frame_in(load_app(name))) if meta.get("live") else None
        specs = analyze(APPS / name, live=live)
    assert len(specs) == 1, [s.to_dict() for s in specs]
    spec = specs[0]
    assert not spec.partial, spec.reasons
    with _sdk_fakes.FAKES[spec.provider]():
        module = load_app(name)
        func = getattr(module, meta["function"])
        calls: list[str] = []
        patches = []
        for target in meta.get("observe", []):

            def record(*args, _name=target, **kwargs):
                calls.append(next((a for a in args if isinstance(a, str)), _name))

            owner, _, attr = target.rpartition(".")  # "led_red.on": a method of a module-level object
            obj = getattr(module, owner) if owner else module
            patches.append(mock.patch.object(obj, attr, record, create=not owner))
        for p in patches:
            p.start()
        try:

            @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            @given(label_sets(spec))
            def check(labels):
                _sdk_fakes.set_labels(labels)
                calls.clear()
                result = func(arg)
                if "key" in meta:  # the decision is one entry of the returned dict
                    result = result[meta["key"]]
                if meta.get("observe"):
                    assert len(calls) <= 1 or spec.kind == "multi_select", calls
                    result = set(calls) if spec.kind == "multi_select" else (calls[0] if calls else None)
                assert observed(result, spec) == spec.decide(labels), (labels, result)

            check()
        finally:
            for p in patches:
                p.stop()
