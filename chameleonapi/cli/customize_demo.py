"""Part 2 of `chameleonapi demo`: customize a model to an application's decisions.

The bundled pet-door application (unchanged Google SDK code) runs over held-out built-in
scenes twice: once answered by the generic labeler (what the application gets without
customization), once by the model chameleonapi customizes to the pet door's decision on its
first call. Its own answers are scored against the scenes' ground truth. The customization
uses the configured budget, else the demo's (`DEMO_BUDGET`).
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

__all__ = ["DEMO_BUDGET", "TEST_SCENES", "demo_budget", "run_customization_demo"]

TEST_SCENES = 600
# The preset the demo customizes with when no budget is set (flag, variable,
# pyproject): a few minutes on 2 cores, and the customized model still clearly the better.
DEMO_BUDGET = "small"


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def demo_budget() -> tuple[str, str]:
    """(budget preset, why): the one set by flag, variable or pyproject, else the demo's."""
    from chameleonapi import config

    source = config.source_of("budget")
    if source == "default":
        return DEMO_BUDGET, "the demo's; --budget default for the full one"
    return config.budget(), source


def _rate(decide_fn, spec, scenes, label: str, progress: bool) -> float:
    from tqdm import tqdm

    wrong = 0
    for image_bytes, true_labels in tqdm(scenes, desc=label, unit="scene", leave=False,
                                         disable=not progress):
        opened = decide_fn(image_bytes)
        decision = spec.categories[0].name if opened else None
        if not spec.is_correct(decision, spec.decide_from_truth(true_labels)):
            wrong += 1
    return wrong / len(scenes)


def run_customization_demo(args: argparse.Namespace) -> dict:
    """Part 2; returns the rates (and prints them unless `args.json`)."""
    import importlib

    from tqdm import tqdm

    import chameleonapi
    from chameleonapi import config
    from chameleonapi.analysis import analyze_report
    from chameleonapi.analysis.render import render_text
    from chameleonapi.data import load_dataset
    from chameleonapi.model.generic import shared_labeler
    from chameleonapi.runtime import Engine, labels_resolver
    from chameleonapi.training.pipeline import DATA_SEED, budget_of

    quiet = bool(getattr(args, "json", False))
    say = (lambda *a: None) if quiet else print
    progress = config.progress()
    budget, why = demo_budget()
    say("== 2. Customizing a model to an application's decisions ==")
    from chameleonapi import examples

    app_path = str(Path(examples.__file__).with_name("pet_door.py"))
    report = analyze_report(app_path)
    say(render_text(report))
    spec = report.specs[0]

    size = getattr(args, "test_scenes", None) or TEST_SCENES
    test = load_dataset("builtin", "test", seed=DATA_SEED, size=size)
    scenes = [(_png(test.image(i)), test.labels(i))
              for i in tqdm(range(len(test)), desc="held-out scenes", unit="scene", leave=False,
                            disable=not progress)]
    plan = budget_of(budget)
    say(f"   held-out built-in scenes: {len(scenes)} (2x2 mosaics of animal-mnist silhouettes)")
    say(f"   training budget: {budget} ({why}): up to {plan.train_photos} training and {plan.val_photos} "
        f"validation scenes, up to {plan.decision_epochs} decision epochs")

    generic = shared_labeler()  # what the application is served without customization

    # The pet door's first call customizes its model on the built-in data, whatever is configured.
    with config.override(data="builtin", train="auto", budget=budget, progress=progress), \
            chameleonapi.enabled(["google"]):
        pet_door = importlib.import_module("chameleonapi.examples.pet_door")
        labels_resolver.override = Engine(generic)
        try:
            generic_rate = _rate(pet_door.should_open, spec, scenes, "pet door, generic model", progress)
        finally:
            labels_resolver.override = None
        say(f"   incorrect-decision rate of the pet door, generic model: {generic_rate:.3f}")
        labels_resolver.reset()
        start = time.perf_counter()
        pet_door.should_open(scenes[0][0])  # first call: analyse, then train or load
        custom_s = time.perf_counter() - start
        say(f"   customized model ready in {custom_s:.1f} s (first call of the app: trained, or loaded from the cache)")
        custom_rate = _rate(pet_door.should_open, spec, scenes, "pet door, customized model", progress)
    say()
    say("   incorrect-decision rate of the pet door on held-out scenes")
    say(f"     generic model      {generic_rate:6.3f}")
    say(f"     chameleonapi       {custom_rate:6.3f}")
    change = 100 * (custom_rate - generic_rate) / generic_rate if generic_rate > 0 else None
    if change is not None:
        say(f"     change             {change:+.0f}%")
    return {"app": app_path, "test_scenes": len(scenes), "budget": budget, "generic": generic_rate,
            "chameleonapi": custom_rate, "change_percent": change,
            "custom_ready_s": round(custom_s, 1)}
