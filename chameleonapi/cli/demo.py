"""`chameleonapi demo`: unchanged SDK applications answered by the local model, offline."""

from __future__ import annotations

import argparse
import time
from importlib import resources
from pathlib import Path


def bundled_photos() -> list[Path]:
    folder = resources.files("chameleonapi.examples").joinpath("images")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".jpg"))


def run_label_demo(max_results: int = 10) -> None:
    """Part 1: an ordinary Google Cloud Vision app labels the bundled photos."""
    import chameleonapi
    from chameleonapi.examples import label_photos

    print("== 1. An unchanged Google Cloud Vision application, served locally ==")
    print(f"   app: {label_photos.__file__}")
    with chameleonapi.enabled(["google"]):
        for path in bundled_photos():
            start = time.perf_counter()
            labels = label_photos.describe(str(path), max_results=max_results)
            elapsed = time.perf_counter() - start
            shown = ", ".join(f"{name} {score:.2f}" for name, score in labels)
            print(f"   {path.name:<12} ({elapsed * 1000:5.0f} ms)  {shown}")


def run(args: argparse.Namespace) -> int:
    run_label_demo(args.max_results)
    if args.labels_only:
        return 0
    try:
        from chameleonapi.customize_demo import run_customization_demo
    except ImportError:
        return 0
    print()
    return run_customization_demo(args)


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
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.set_defaults(func=run)
