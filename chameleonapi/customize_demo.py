"""Part 2 of `chameleonapi demo`: customize a model to an application's decisions.

The bundled pet-door application (unchanged Google SDK code) runs over held-out built-in
scenes twice: once answered by the generic model of the built-in domain (one model over the
whole label vocabulary, no application knowledge), once by the model chameleonapi customizes
to the pet door's decision on its first call. Its own answers are scored against the scenes'
ground truth.
"""

from __future__ import annotations

import argparse
import io
import os
import time

TEST_SCENES = 600


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _rate(decide_fn, spec, scenes) -> float:
    wrong = 0
    for image_bytes, true_labels in scenes:
        opened = decide_fn(image_bytes)
        decision = spec.categories[0].name if opened else None
        if not spec.is_correct(decision, spec.decide_from_truth(true_labels)):
            wrong += 1
    return wrong / len(scenes)


def run_customization_demo(args: argparse.Namespace) -> int:
    import importlib

    import chameleonapi
    from chameleonapi import runtime
    from chameleonapi.analysis import analyze_report
    from chameleonapi.analysis.render import render_text
    from chameleonapi.data import load_dataset
    from chameleonapi.engine import Engine
    from chameleonapi.training import train_generic
    from chameleonapi.training.trainer import DATA_SEED

    progress = not args.no_progress
    print("== 2. Customizing a model to an application's decisions ==")
    app_path = importlib.util.find_spec("chameleonapi.examples.pet_door").origin
    report = analyze_report(app_path)
    print(render_text(report))
    spec = report.specs[0]

    size = getattr(args, "test_scenes", TEST_SCENES)
    test = load_dataset("builtin", "test", seed=DATA_SEED, size=size)
    scenes = [(_png(test.image(i)), test.labels(i)) for i in range(len(test))]
    print(f"   held-out built-in scenes: {len(scenes)} (2x2 mosaics of animal-mnist silhouettes)")

    start = time.perf_counter()
    generic = train_generic("builtin", progress=progress, seed=args.seed)
    print(f"   generic model of the built-in domain ready in {time.perf_counter() - start:.1f} s")

    previous = {name: os.environ.get(name) for name in ("CHAMELEONAPI_TRAIN", "CHAMELEONAPI_PROGRESS", "CHAMELEONAPI_DATA")}
    os.environ["CHAMELEONAPI_TRAIN"] = "auto"
    os.environ["CHAMELEONAPI_DATA"] = "builtin"  # the demo's scenes are the built-in silhouettes, chosen explicitly
    os.environ["CHAMELEONAPI_PROGRESS"] = "1" if progress else "0"
    try:
        with chameleonapi.enabled(["google"]):
            pet_door = importlib.import_module("chameleonapi.examples.pet_door")
            runtime.resolver.override = Engine(generic)
            try:
                generic_rate = _rate(pet_door.should_open, spec, scenes)
            finally:
                runtime.resolver.override = None
            runtime.resolver.reset()
            start = time.perf_counter()
            pet_door.should_open(scenes[0][0])  # first call: analyse, then train or load
            print(f"   customized model ready in {time.perf_counter() - start:.1f} s (first call of the app: trained, or loaded from the cache)")
            custom_rate = _rate(pet_door.should_open, spec, scenes)
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    print()
    print("   incorrect-decision rate of the pet door on held-out scenes")
    print(f"     generic model      {generic_rate:6.3f}")
    print(f"     chameleonapi       {custom_rate:6.3f}")
    if generic_rate > 0:
        print(f"     change             {100 * (custom_rate - generic_rate) / generic_rate:+.0f}%")
    return 0
