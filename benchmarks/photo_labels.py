"""Cloud-style labels on photos, side by side with the label space's own ranking.

Three measurements, each in one run on one machine:

1. Coverage: of the distinct label strings the public applications of
   `benchmarks/corpus/annotations.json` compare against, the share the labeler can report,
   before (a label of the space: case, plural or hand synonym) and after (also through
   WordNet senses, everyday names, and the photo detector's classes and their names); the
   same over the label strings of two corpora those names were not written from
   (`benchmarks/corpus_heldout/`, `benchmarks/corpus_new/`, or `--annotations`), whole and in
   two halves by a hash of the string (`half_of`): "dev" to develop on, "heldout" to measure.
2. The label benchmark's generic column, before and after: every app of
   `benchmarks/photo_apps/` on held-out CIFAR-10 photos (`benchmarks/photos.py`'s split and
   true labels), the generic labeler behind the real SDK, its incorrect-decision rate against
   the decisions the app makes on the photo's true labels. "before" serves the label space's
   raw ranking, "after" the cloud answer (hidden internals, specific first, detector objects
   merged where the decision names a detector class, application strings as aliases).
3. Latency of a Google `label_detection` call at batch 1 (one thread, p50 over `--calls`
   calls, interleaved): before; after for an app whose decision names no detector class;
   after for an app whose decision names "Person" (the detector runs too).

    python benchmarks/photo_labels.py [--test 300] [--calls 30] [--json benchmarks/results/photo_labels.json]
        [--annotations A.json ...] [--coverage-only]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("CHAMELEONAPI_THREADS", "1")
os.environ.pop("CHAMELEONAPI_DATA", None)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import photos as bench  # noqa: E402  (benchmarks/photos.py: split, true labels, replay)

CORPUS = HERE / "corpus" / "annotations.json"  # the corpus `EVERYDAY` was written from (in-sample)
HELDOUT_CORPORA = (HERE / "corpus_heldout" / "annotations.json", HERE / "corpus_new" / "annotations.json")


def corpus_labels(paths: Iterable[Path] = (CORPUS,)) -> list[str]:
    """The distinct label strings the applications of the annotation files compare against."""
    labels = set()
    for path in paths:
        data = json.loads(Path(path).read_text())
        labels.update(label for app in data["apps"] for d in app.get("decisions", [])
                      for c in d.get("categories", []) for label in c.get("labels", []))
    return sorted(labels, key=str.casefold)


def half_of(label: str) -> str:
    """A label string's half ("dev" or "heldout"), by a hash of the string: mechanisms are
    developed on the dev half, the heldout half only measures them."""
    return "dev" if hashlib.sha256(label.encode("utf-8")).digest()[0] % 2 == 0 else "heldout"


def coverage(paths: Iterable[Path] = (CORPUS,)) -> dict:
    """Of the distinct label strings of the annotation files, those the labeler can report:
    before (a label of the space: case, plural or hand synonym) and after (`alias_target`)."""
    from chameleonapi.detection.coco import COCO_ALIASES, COCO_NAMES
    from chameleonapi.model.cloud_vocab import alias_target
    from chameleonapi.model.labelspace import LabelSpace

    labels = corpus_labels(paths)
    vocab = LabelSpace.generic().vocabulary()
    before = [label for label in labels if vocab.lookup(label) is not None]
    targets = {label: alias_target(label, COCO_NAMES, COCO_ALIASES) for label in labels}
    after = [label for label in labels if targets[label] is not None]
    via_detector = [label for label in after if targets[label] in COCO_NAMES and vocab.lookup(label) is None]
    physical = [label for label in labels if names_a_thing(label)]
    return {"files": [str(Path(p).resolve().relative_to(ROOT)) for p in paths], "labels": len(labels),
            "physical": len(physical), "physical_after": sum(targets[label] is not None for label in physical),
            "before": len(before), "after": len(after),
            "before_share": round(len(before) / len(labels), 3), "after_share": round(len(after) / len(labels), 3),
            "via_detector": len(via_detector), "missing": [label for label in labels if targets[label] is None]}


def names_a_thing(label: str) -> bool:
    """Has the string a WordNet noun sense that is a physical thing (an object, a plant, a
    food, a place)? Colours, events, damage words, certifications have none: no photo
    labeler can be expected to report those."""
    from chameleonapi.model.labelspace import senses_of, wordnet

    synsets = wordnet()["synsets"]
    physical = next(i for i, s in enumerate(synsets) if s[0].split("|")[0] == "physical_entity")
    todo, seen = list(senses_of(label)), set()
    while todo:
        s = todo.pop()
        if s == physical:
            return True
        if s not in seen:
            seen.add(s)
            todo.extend(synsets[s][1])
    return False


def heldout_coverage(paths: Iterable[Path] = HELDOUT_CORPORA) -> dict:
    """`coverage` of the corpora `EVERYDAY` was not written from, whole and by half (`half_of`)."""
    labels = corpus_labels(paths)
    whole = coverage(paths)
    after = set(labels) - set(whole["missing"])
    out: dict = {"whole": whole}
    for half in ("dev", "heldout"):
        chosen = [label for label in labels if half_of(label) == half]
        covered = [label for label in chosen if label in after]
        out[half] = {"labels": len(chosen), "after": len(covered), "after_share": round(len(covered) / len(chosen), 3),
                     "missing": [label for label in chosen if label not in after]}
    return out


@contextlib.contextmanager
def raw_ranking():
    """Serve the label space's own ranking (what photo apps got before the cloud answer)."""
    from chameleonapi.serving import calls

    saved = calls.uses_silhouettes
    calls.uses_silhouettes = lambda: True
    try:
        yield
    finally:
        calls.uses_silhouettes = saved


def label_benchmark(n_test: int, data: Path) -> list[dict]:
    import chameleonapi
    from chameleonapi.imaging import decode_image
    from chameleonapi.model.generic import shared_labeler
    from chameleonapi.services.google_vision.descriptor import POLICY

    _, test = bench.split_photos(data, 0, n_test)
    chameleonapi.enable()
    photos = [bench.servable(p.read_bytes()) for p, _ in test]
    images = [decode_image(b, POLICY).image for b in photos]
    keys = [bench.image_key(im) for im in images]
    classes = [c for _, c in test]
    generic = shared_labeler()
    replay = bench.ReplayModel("generic", generic.labels, bench.score_matrix(generic, images), keys, fallback=generic)
    rows = []
    for path in sorted((HERE / "photo_apps").glob("*.py")):
        spec = bench.decision_specs(path)[0]
        fn = bench.entry_point(bench.load_app(path), spec.call.line)
        with raw_ranking():
            truth, _ = bench.run_app(fn, photos, bench.truth_model(spec, classes, keys), spec)
            before, _ = bench.run_app(fn, photos, replay, spec)
        after, _ = bench.run_app(fn, photos, replay, spec)
        rows.append({"app": path.stem, "kind": spec.kind, "labels": spec.all_labels[:6],
                     "before": round(_wrong(before, truth), 4), "after": round(_wrong(after, truth), 4)})
        print(f"  {path.stem:16s} {spec.kind:13s} incorrect before {rows[-1]['before']:.3f}  after "
              f"{rows[-1]['after']:.3f}", file=sys.stderr, flush=True)
    chameleonapi.disable()
    return rows


def _wrong(got: list, truth: list) -> float:
    return sum(g != t for g, t in zip(got, truth)) / len(truth)


LATENCY_APP = """
from google.cloud import vision
client = vision.ImageAnnotatorClient()

def plain(data):
    labels = client.label_detection(image=vision.Image(content=data)).label_annotations
    return any(label.description == "Rocket" for label in labels)

def people(data):
    labels = client.label_detection(image=vision.Image(content=data)).label_annotations
    return any(label.description == "Person" for label in labels)
"""


def latency(calls: int) -> dict:
    import importlib.util

    import chameleonapi
    from tests.images import photo

    folder = Path(tempfile.mkdtemp(prefix="photo-labels-"))
    path = folder / "latency_app.py"
    path.write_text(textwrap.dedent(LATENCY_APP))
    chameleonapi.enable(["google"])
    spec = importlib.util.spec_from_file_location("latency_app", path)
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    data = photo("astronaut")
    arms = {"before": lambda: _raw(app.plain, data), "after_plain": lambda: app.plain(data),
            "after_person": lambda: app.people(data)}
    for run in arms.values():  # warm: models loaded, analysis done
        run()
        run()
    times: dict[str, list[float]] = {k: [] for k in arms}
    for _ in range(calls):
        for name, run in arms.items():
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
    chameleonapi.disable()
    p50 = {k: statistics.median(v) * 1000 for k, v in times.items()}
    return {"p50_ms": {k: round(v, 1) for k, v in p50.items()},
            "ratio_plain": round(p50["after_plain"] / p50["before"], 3),
            "ratio_person": round(p50["after_person"] / p50["before"], 3), "calls": calls}


def _raw(fn, data):
    with raw_ranking():
        return fn(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=bench.DEFAULT_DATA)
    parser.add_argument("--test", type=int, default=300)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--annotations", type=Path, nargs="+", default=list(HELDOUT_CORPORA),
                        help="corpora the label names were not written from, for the held-out coverage")
    parser.add_argument("--coverage-only", action="store_true", help="measure coverage only")
    args = parser.parse_args(argv)
    os.environ.setdefault("CHAMELEONAPI_HOME", tempfile.mkdtemp(prefix="chameleonapi-photo-labels-"))
    import torch

    torch.set_num_threads(int(os.environ["CHAMELEONAPI_THREADS"]))
    payload: dict = {"coverage": coverage()}
    cov = payload["coverage"]
    print(f"coverage of {cov['labels']} corpus labels: before {cov['before']} ({cov['before_share']:.1%}), "
          f"after {cov['after']} ({cov['after_share']:.1%}; {cov['via_detector']} through the detector)")
    payload["heldout_coverage"] = held = heldout_coverage(args.annotations)
    print(f"coverage of {held['whole']['labels']} labels of {', '.join(held['whole']['files'])}: before "
          f"{held['whole']['before']} ({held['whole']['before_share']:.1%}), after {held['whole']['after']} "
          f"({held['whole']['after_share']:.1%}); dev half {held['dev']['after']}/{held['dev']['labels']} "
          f"({held['dev']['after_share']:.1%}), heldout half {held['heldout']['after']}/{held['heldout']['labels']} "
          f"({held['heldout']['after_share']:.1%})")
    for name, part in (("in-sample", cov), ("held-out", held["whole"])):
        print(f"  {name}: {part['physical']} of the labels name a physical thing in WordNet; "
              f"{part['physical_after']} of those covered ({part['physical_after'] / max(part['physical'], 1):.1%})")
    if args.coverage_only:
        _write(args.json, payload)
        return 0
    payload["latency"] = latency(args.calls)
    lat = payload["latency"]
    print(f"label_detection p50 (ms): before {lat['p50_ms']['before']}, after {lat['p50_ms']['after_plain']} "
          f"({lat['ratio_plain']}x), with the detector {lat['p50_ms']['after_person']} ({lat['ratio_person']}x)")
    if args.data.is_dir():
        rows = label_benchmark(args.test, args.data)
        payload["label_benchmark"] = {"data": str(args.data), "test_photos": args.test, "apps": rows,
                                      "mean_before": round(statistics.mean(r["before"] for r in rows), 4),
                                      "mean_after": round(statistics.mean(r["after"] for r in rows), 4)}
        lb = payload["label_benchmark"]
        print(f"generic incorrect-decision rate over {len(rows)} photo apps, {args.test} held-out photos: "
              f"before {lb['mean_before']:.3f}, after {lb['mean_after']:.3f}")
        print(f"{'app':16s} {'kind':13s} {'before':>7s} {'after':>7s}")
        for r in rows:
            print(f"{r['app']:16s} {r['kind']:13s} {r['before']:7.3f} {r['after']:7.3f}")
    else:
        print(f"no photos under {args.data}: the label benchmark is skipped", file=sys.stderr)
    _write(args.json, payload)
    return 0


def _write(path: Path | None, payload: dict) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=1) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
