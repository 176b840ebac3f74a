"""`chameleonapi demo`: unchanged SDK applications answered by the local model, offline.

Its first figures come within seconds (the generic labeler's answers on the bundled photos);
the customization part then trains two small models on the built-in scenes, with a bar for
each long step, in the demo's own budget (`small`) unless a budget is set.
"""

from __future__ import annotations

import argparse
import json
import time
from importlib import resources
from pathlib import Path

from chameleonapi.cli.common import add_settings_flags, positive_int, uses_settings
from chameleonapi.cli.customize_demo import DEMO_BUDGET, TEST_SCENES, run_customization_demo

__all__ = ["bundled_photos", "register", "run", "run_label_demo", "run_pet_door_photos"]


def bundled_photos() -> list[Path]:
    folder = resources.files("chameleonapi.examples").joinpath("images")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".jpg"))


def run_label_demo(max_results: int = 10, *, quiet: bool = False) -> list[dict]:
    """Part 1: an ordinary Google Cloud Vision app labels the bundled photos."""
    import chameleonapi
    from chameleonapi.examples import label_photos

    say = (lambda *a: None) if quiet else print
    say("== 1. An unchanged Google Cloud Vision application, served locally ==")
    say(f"   app: {label_photos.__file__}")
    rows = []
    with chameleonapi.enabled(["google"]):
        for path in bundled_photos():
            start = time.perf_counter()
            labels = label_photos.describe(str(path), max_results=max_results)
            elapsed = time.perf_counter() - start
            rows.append({"photo": path.name, "ms": round(elapsed * 1000, 1),
                         "labels": [[name, round(score, 4)] for name, score in labels]})
            shown = ", ".join(f"{name} {score:.2f}" for name, score in labels) or "(no label scores 0.5 or more)"
            say(f"   {path.name:<12} ({elapsed * 1000:5.0f} ms)  {shown}")
    return rows


def run_pet_door_photos(*, quiet: bool = False) -> dict[str, bool]:
    """The pet door's answers on the bundled photos from the generic labeler: what the
    application gets before any customization (photo name -> door opens)."""
    import chameleonapi
    from chameleonapi.runtime import labels_resolver

    say = (lambda *a: None) if quiet else print
    say("   the pet door (chameleonapi/examples/pet_door.py) on these photos, generic labeler:")
    answers = {}
    with chameleonapi.enabled(["google"]):
        from chameleonapi.examples import pet_door

        labels_resolver.override = labels_resolver.generic()
        try:
            for path in bundled_photos():
                answers[path.name] = bool(pet_door.should_open(path.read_bytes()))
                say(f"   {path.name:<12} {'opens' if answers[path.name] else 'stays shut'}")
        finally:
            labels_resolver.override = None
            labels_resolver.reset()
    return answers


@uses_settings("demo", keys=("device", "cache"))
def run(args: argparse.Namespace) -> int:
    from chameleonapi.errors import require

    require("torch", "timm", "astroid")
    photos = run_label_demo(args.max_results, quiet=args.json)
    result: dict = {"photos": photos, "pet_door_photos": run_pet_door_photos(quiet=args.json)}
    if not args.labels_only:
        if not args.json:
            print()
        result["customization"] = run_customization_demo(args)
    if args.json:
        print(json.dumps(result, indent=1))
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the bundled example applications under chameleonapi",
        description="Label bundled photos through the unchanged Google SDK, then customize a "
        "model to an example application's decisions on the built-in data and compare its "
        f"incorrect-decision rate with the generic model's (budget {DEMO_BUDGET} unless one is set).",
    )
    parser.add_argument("--max-results", type=int, default=10, help="labels per photo (default 10)")
    parser.add_argument("--labels-only", action="store_true", help="only the labeling part")
    parser.add_argument("--test-scenes", type=positive_int, metavar="N",
                        help=f"held-out scenes the pet door is scored on (default {TEST_SCENES})")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    add_settings_flags(parser, data=False)
    parser.set_defaults(func=run)
