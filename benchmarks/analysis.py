"""Time `chameleonapi.analysis.analyze` on every test application and on a generated
2,000-line module, against a bare `astroid.parse` of the same source.

    python benchmarks/analysis.py [--json PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

APPS = ROOT / "tests" / "apps"
TARGET_S = 0.5


def generated_module(lines: int = 2000) -> str:
    """An application-like module: many helpers, a few decisions, constants and classes."""
    out = ["from google.cloud import vision", "", "client = vision.ImageAnnotatorClient()", ""]
    i = 0
    while len(out) < lines:
        out += [
            f"LABELS_{i} = ['Cat{i}', 'Dog{i}', 'Bird{i}']",
            "",
            f"class Helper{i}:",
            f"    NAMES = {{'a{i}': 1, 'b{i}': 2}}",
            "",
            "    def total(self, values):",
            "        result = 0",
            "        for v in values:",
            "            if v > 3:",
            "                result += v * 2",
            "            else:",
            "                result -= 1",
            "        return result",
            "",
            f"def decide_{i}(content):",
            "    response = client.label_detection(image=vision.Image(content=content))",
            "    for label in response.label_annotations:",
            f"        if label.description in LABELS_{i} and label.score > 0.5:",
            "            return 'animal'",
            "    return None",
            "",
            f"def util_{i}(x, y):",
            "    z = [a + b for a, b in zip(x, y)]",
            "    return sum(z) / max(len(z), 1)",
            "",
        ]
        i += 1
    return "\n".join(out[:lines]) + "\n"


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    import astroid

    from chameleonapi.analysis import analyze

    rows = []
    for path in sorted(
        p for p in APPS.iterdir() if p.suffix == ".py" and not p.name.startswith("_") or p.is_dir()
    ):
        if path.name.startswith(("_", ".")):
            continue
        seconds = best_of(lambda p=path: analyze(p), args.repeat)
        rows.append(
            {"name": path.name, "lines": _lines(path), "seconds": seconds, "specs": len(analyze(path))}
        )

    source = generated_module()
    analyze(source)  # warm imports
    big = best_of(lambda: analyze(source), args.repeat)
    parse = best_of(lambda: astroid.parse(source), args.repeat)
    big_row = {
        "name": "generated_2000_lines",
        "lines": source.count("\n"),
        "seconds": big,
        "parse_seconds": parse,
        "ratio_to_parse": big / parse,
        "specs": len(analyze(source)),
        "target_seconds": TARGET_S,
        "meets_target": big <= TARGET_S,
    }

    print(f"{'application':32} {'lines':>6} {'specs':>5} {'ms':>8}")
    for row in rows:
        print(f"{row['name']:32} {row['lines']:6d} {row['specs']:5d} {row['seconds'] * 1000:8.1f}")
    print(
        f"{'(median per app)':32} {'':6} {'':5} {statistics.median(r['seconds'] for r in rows) * 1000:8.1f}"
    )
    print(
        f"{big_row['name']:32} {big_row['lines']:6d} {big_row['specs']:5d} {big * 1000:8.1f}"
        f"   astroid.parse {parse * 1000:.1f} ms, ratio {big_row['ratio_to_parse']:.2f}x,"
        f" target {TARGET_S * 1000:.0f} ms: {'met' if big_row['meets_target'] else 'MISSED'}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"apps": rows, "generated": big_row}, indent=2) + "\n")
    return 0


def _lines(path: Path) -> int:
    files = [path] if path.is_file() else list(path.rglob("*.py"))
    return sum(f.read_text().count("\n") for f in files)


if __name__ == "__main__":
    sys.exit(main())
