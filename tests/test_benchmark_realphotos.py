"""The real-photo customization benchmark measures what it says: each of its applications makes
the decision it is scored as (found by the analysis), the truth covers every class folder,
and the held-out split is stable, disjoint from the photos to customize with and nested."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.paths import ROOT

_spec = importlib.util.spec_from_file_location("customize_realphotos", ROOT / "benchmarks" / "customize_realphotos.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules.setdefault(_spec.name, bench)  # its dataclasses look their module up
_spec.loader.exec_module(bench)


@pytest.mark.parametrize("app", sorted(bench.KINDS))
def test_each_app_makes_the_decision_it_is_scored_as(app: str) -> None:
    path = bench.APPS / f"{app}.py"
    assert bench.app_kind(path) == bench.KINDS[app]
    ds = next(d for d in bench.DATASETS.values() if app in d.truth)
    truth = ds.truth[app]
    classes = set(bench.FLOWERS if ds.name == "flowers" else bench.CIFAR)
    assert set(truth) == classes
    assert len({repr(bench.normal(v)) for v in truth.values()}) >= 2  # not a constant decision


@pytest.mark.skipif(not bench.DATASETS["cifar"].root.is_dir(), reason="needs ../shared/data/cifar10-train (development data)")
def test_held_out_split_is_stable_disjoint_and_nested() -> None:
    ds = bench.DATASETS["cifar"]
    classes = bench.CIFAR[:3]
    small = bench.split(ds.root, classes, 12, 6)
    big = bench.split(ds.root, classes, 200, 100)
    assert small == bench.split(ds.root, classes, 12, 6)
    customize, held = big
    assert not {p for p, _ in customize} & {p for p, _ in held}
    assert all(bench.held_out(c, p.name) for p, c in held) and not any(bench.held_out(c, p.name) for p, c in customize)
    assert set(small[1]) <= set(held) and set(small[0]) <= set(customize)
    every = [p for c in classes for p in (ds.root / c).iterdir()]
    share = sum(bench.held_out(p.parent.name, p.name) for p in every) / len(every)
    assert 0.3 < share < 0.37
