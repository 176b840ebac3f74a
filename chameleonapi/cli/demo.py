"""`chameleonapi demo`: unchanged SDK applications answered by the local model, offline."""

from __future__ import annotations

import argparse
import json
import time
from importlib import resources
from pathlib import Path

from chameleonapi.cli.common import add_settings_flags, uses_settings

__all__ = ["bundled_photos", "register", "run", "run_label_demo"]


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


# Part 1 labels real photos as an application without data gets them (cloud-style labels);
# part 2 customizes on the built-in scenes whatever is configured, so `data` is not shown.
@uses_settings("demo", keys=("budget", "device", "cache"))
def run(args: argparse.Namespace) -> int:
    from chameleonapi.errors import require

    require("torch", "timm", "astroid")
    photos = run_label_demo(args.max_results, quiet=args.json)
    result: dict = {"photos": photos}
    if not args.labels_only:
        from chameleonapi.cli.customize_demo import run_customization_demo

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
        "incorrect-decision rate with the generic model's.",
    )
    parser.add_argument("--max-results", type=int, default=10, help="labels per photo (default 10)")
    parser.add_argument("--labels-only", action="store_true", help="only the labeling part")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    add_settings_flags(parser, data=False)
    parser.set_defaults(func=run)
