"""Object detection: generic detector mAP@0.5, count-level F1 per detection application
(generic vs basic vs chameleonapi), and latency per `object_localization` call at batch 1.

- mAP@0.5: the generic detector on held-out scenes (test tiles, never seen in training).
- Count level (the paper's metric for detection applications): per image, the application
  counts the objects of its listed classes reported at or above its threshold; TP =
  min(pred, true), FP = the excess, FN = the shortfall, summed into F1. Each application is
  analyzed from its source (`benchmarks/detection_apps/`), the three detectors are
  `generic` (no app data), `basic` (the app's relevant data, standard loss) and
  `chameleonapi` (the same data and budget, the decision loss in stage 2), measured on the
  app's held-out scenes (test tiles, its listed classes drawn for half the animals). For apps that
  compare the count, the incorrect-decision rate is reported too.
- Latency: `ImageAnnotatorClient().object_localization` served locally, one image per call,
  against the bare forward pass (trunk + head + decode) on a preprocessed tensor.

    python benchmarks/detection.py [--seeds 0,1,2] [--json benchmarks/results/detection.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("CHAMELEONAPI_THREADS", "1")
os.environ["CHAMELEONAPI_DATA"] = "builtin"  # the silhouette detector answers only when chosen

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "benchmarks" / "detection_apps"
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def predictions(head, c3, c4):
    import torch

    from chameleonapi.detection.model import decode

    with torch.inference_mode():
        cls, box = head(c3.float(), c4.float())
    return decode(cls, box)


def app_rows(n_scenes: int, generic, seeds: list[int]) -> list[dict]:
    from chameleonapi.analysis import analyze
    from chameleonapi.detection import heads, train
    from chameleonapi.detection.evaluate import count_score
    from chameleonapi.detection.policy import REPORT_FLOOR
    from chameleonapi.detection.scenes import NAMES
    from chameleonapi.serving.objects import OBJECT_METHODS, listed_classes

    rows = []
    for path in sorted(APPS.glob("*.py")):
        specs = [s for s in analyze(path) if s.method in OBJECT_METHODS]
        if not specs:
            print(f"  {path.name}: no object decision found; skipped")
            continue
        spec = sorted(specs, key=lambda s: s.target != "objects")[0]
        listed = listed_classes(spec, spec.provider)
        threshold = max(REPORT_FLOOR, spec.threshold or 0.0)
        # the application's own held-out images: test tiles, its listed classes drawn often
        test_scenes, c3, c4 = train.cached_features("test", n_scenes, focus=listed)
        runs = {"generic": [predictions(generic, c3, c4)]}
        seconds: dict[str, list[float]] = {}
        for loss in ("basic", "chameleon"):
            for seed in seeds:
                start = time.perf_counter()
                head = heads.customized_head(listed, threshold, loss, seed=seed, decision=spec)
                seconds.setdefault(loss, []).append(time.perf_counter() - start)
                runs.setdefault(loss, []).append(predictions(head, c3, c4))
        row = {
            "app": path.stem,
            "provider": spec.provider,
            "classes": [NAMES[c] for c in listed],
            "threshold": threshold,
            "decision": f"count {spec.count_op} {spec.count}" if spec.count_op else "count",
            "build_seconds": seconds,
        }
        for name, preds in runs.items():
            per_seed = []
            for p in preds:
                score = count_score(p, test_scenes, listed, threshold)
                one = {"f1": score.f1, "tp": score.tp, "fp": score.fp, "fn": score.fn, "exact_count": score.exact}
                if spec.count_op:
                    wrong = 0
                    for dets, scene in zip(p, test_scenes):
                        n_pred = sum(1 for d in dets if d.cls in listed and d.score >= threshold)
                        n_true = sum(1 for c in scene.classes if c in listed)
                        wrong += _holds(n_pred, spec.count_op, spec.count) != _holds(n_true, spec.count_op, spec.count)
                    one["incorrect_decisions"] = wrong / len(test_scenes)
                per_seed.append(one)
            row[name] = {key: statistics.mean(r[key] for r in per_seed) for key in per_seed[0]}
            row[name]["f1_per_seed"] = [r["f1"] for r in per_seed]
        rows.append(row)
    return rows


def _holds(n: int, op: str, k: int) -> bool:
    return {">": n > k, ">=": n >= k, "<": n < k, "<=": n <= k, "==": n == k, "!=": n != k}[op]


def latency(repeats: int) -> dict:
    import numpy as np
    import torch
    from google.cloud import vision

    import chameleonapi
    from chameleonapi.detection import scenes
    from chameleonapi.detection.detector import shared_trunk
    from chameleonapi.detection.heads import generic_head
    from chameleonapi.detection.model import decode
    from chameleonapi.imaging import decode_image as decode_with
    from chameleonapi.model.transforms import to_input
    from chameleonapi.services.google_vision.descriptor import POLICY

    os.environ["CHAMELEONAPI_TRAIN"] = "never"  # serve the stored generic detector
    sample = scenes.sample_scenes("test", repeats, seed=11)
    pngs = [scenes.scene_png(s) for s in sample]
    patched, raw = [], []
    with chameleonapi.enabled(["google"]):
        client = vision.ImageAnnotatorClient()
        client.object_localization(image=vision.Image(content=pngs[0]))  # warm up
        head, trunk = generic_head(), shared_trunk()
        for png in pngs:
            start = time.perf_counter()
            client.object_localization(image=vision.Image(content=png))
            patched.append(time.perf_counter() - start)
            x = torch.from_numpy(to_input([decode_with(png, POLICY).image], scenes.SCENE_SIZE))
            start = time.perf_counter()
            with torch.inference_mode():
                decode(*head(*trunk(x)))
            raw.append(time.perf_counter() - start)
    return {
        "calls": repeats,
        "object_localization_p50_ms": 1000 * statistics.median(patched),
        "object_localization_p99_ms": 1000 * percentile(patched, 99),
        "forward_p50_ms": 1000 * statistics.median(raw),
        "overhead_ratio": statistics.median(patched) / max(statistics.median(raw), 1e-9),
        "threads": int(np.int64(torch.get_num_threads())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test-scenes", type=int, default=1000)
    parser.add_argument("--app-scenes", type=int, default=1000)
    parser.add_argument("--seeds", default="0", help="customization seeds, comma-separated (e.g. 0,1,2)")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    import torch

    from chameleonapi import config
    from chameleonapi.detection import heads, train
    from chameleonapi.detection.evaluate import mean_ap
    from chameleonapi.detection.scenes import NAMES

    torch.set_num_threads(1)
    start = time.perf_counter()
    generic = heads.generic_head(build=True)
    print(f"generic detector ready in {time.perf_counter() - start:.1f} s ({config.detector_budget()} budget)")
    test_scenes, c3, c4 = train.cached_features("test", args.test_scenes)
    generic_preds = predictions(generic, c3, c4)
    m, aps = mean_ap(generic_preds, test_scenes, len(NAMES))
    n_objects = sum(len(s.classes) for s in test_scenes)
    print(f"\nGeneric detector, held-out scenes: {len(test_scenes)} images, {n_objects} objects")
    print(f"  mAP@0.5 = {m:.3f}")
    print("  " + "  ".join(f"{n}:{a:.2f}" for n, a in zip(NAMES, aps)))

    seeds = [int(s) for s in args.seeds.split(",")]
    rows = app_rows(args.app_scenes, generic, seeds)
    print(f"\nCount-level F1 on each application's held-out scenes ({args.app_scenes} images, half of the animals "
          "of its listed classes), higher is better;\nincorrect-decision rate where the app compares the count; basic and chameleon: mean over "
          f"customization seeds {seeds}")
    header = f"  {'app':<14}{'provider':<10}{'classes':<18}{'T':>5}  {'decision':<12}{'generic':>9}{'basic':>9}{'chameleon':>11}"
    print(header)
    for r in rows:
        f1s = [r[k]["f1"] for k in ("generic", "basic", "chameleon")]
        print(
            f"  {r['app']:<14}{r['provider']:<10}{','.join(r['classes']):<18}{r['threshold']:>5.2f}  {r['decision']:<12}"
            f"{f1s[0]:>9.3f}{f1s[1]:>9.3f}{f1s[2]:>11.3f}"
        )
        if "incorrect_decisions" in r["generic"]:
            wr = [r[k]["incorrect_decisions"] for k in ("generic", "basic", "chameleon")]
            print(f"  {'':<14}{'':<10}{'  incorrect decisions':<35}{wr[0]:>9.3f}{wr[1]:>9.3f}{wr[2]:>11.3f}")
    if rows:
        means = [statistics.mean(r[k]["f1"] for r in rows) for k in ("generic", "basic", "chameleon")]
        print(f"  {'mean':<14}{'':<10}{'':<18}{'':>5}  {'':<12}{means[0]:>9.3f}{means[1]:>9.3f}{means[2]:>11.3f}")

    lat = latency(args.repeats)
    print(f"\nLatency per object_localization call, batch 1, {lat['threads']} torch thread(s), {lat['calls']} calls")
    print(f"  patched SDK call p50 {lat['object_localization_p50_ms']:.1f} ms, p99 {lat['object_localization_p99_ms']:.1f} ms")
    print(f"  bare forward (trunk + head + decode) p50 {lat['forward_p50_ms']:.1f} ms; ratio {lat['overhead_ratio']:.2f}")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        result = {
            "map50": m,
            "ap_per_class": dict(zip(NAMES, aps)),
            "test_scenes": len(test_scenes),
            "test_objects": n_objects,
            "budget": config.detector_budget(),
            "apps": rows,
            "seeds": seeds,
            "latency": lat,
        }
        args.json.write_text(json.dumps(result, indent=1, sort_keys=True))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
