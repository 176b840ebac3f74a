"""Count decisions on real photos: the generic COCO detector vs one customized on the user's boxes.

The photos and boxes (YOLO layout, by default `../shared/data/coco128-train`: 128 COCO
photos) are split by a stable hash of each file name into the customization photos and
held-out photos (`chameleonapi.detection.boxes.split`). Each app of
`benchmarks/photo_detection_apps/` is unchanged SDK code whose decision counts objects: a
person-count threshold (Google), "any vehicle" (Azure), the count of cars itself (Google).
For each, on the held-out photos: the incorrect-decision rate of the generic detector and of
the detector customized with the count-decision loss on the other photos (what the serving
gate compares; the count itself is wrong when it differs from the true count), the cost of
the customization (one thread), and the latency of an `object_localization` call at batch 1
(p50 over the held-out photos, one thread, through the real SDK).

    python benchmarks/photo_detection.py [--data DIR] [--epochs 60] [--json benchmarks/results/photo_detection.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("CHAMELEONAPI_THREADS", "1")
os.environ.pop("CHAMELEONAPI_DATA", None)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "coco128-train"


def listed_for(spec) -> list[int]:
    from chameleonapi.detection.coco import COCO_NAMES
    from chameleonapi.vocab import provider_style

    return [i for i, n in enumerate(COCO_NAMES) if spec.categories_of(provider_style(n, spec.provider))]


def latency(photos, calls: int) -> float:
    from google.cloud import vision

    import chameleonapi

    chameleonapi.enable(["google"])
    client = vision.ImageAnnotatorClient()
    data = [p.path.read_bytes() for p in photos[:calls]]
    client.object_localization(image=vision.Image(content=data[0]))
    times = []
    for blob in data:
        t0 = time.perf_counter()
        client.object_localization(image=vision.Image(content=blob))
        times.append(time.perf_counter() - t0)
    chameleonapi.disable()
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no photos with boxes under {args.data}", file=sys.stderr)
        return 1
    os.environ.setdefault("CHAMELEONAPI_HOME", tempfile.mkdtemp(prefix="chameleonapi-photo-detection-"))
    import torch

    torch.set_num_threads(int(os.environ["CHAMELEONAPI_THREADS"]))
    from chameleonapi.analysis import analyze
    from chameleonapi.detection.boxes import load_boxes, split
    from chameleonapi.detection.coco import load_network
    from chameleonapi.detection.photo_train import PhotoBudget, customize_photo_detector

    train, held_out = split(load_boxes(args.data))
    print(f"{len(train)} photos to customize on, {len(held_out)} held out ({args.data})", file=sys.stderr)
    net = load_network()
    rows = []
    for path in sorted((HERE / "photo_detection_apps").glob("*.py")):
        spec = analyze(str(path))[0]
        listed = listed_for(spec)
        threshold = max(0.5, spec.threshold or 0.0)
        result = customize_photo_detector(net, train, held_out, spec, listed, threshold,
                                          PhotoBudget(epochs=args.epochs))
        v = result.card["validation"]
        rows.append({"app": path.stem, "provider": spec.provider, "method": spec.method,
                     "classes": result.card["listed"], "count_op": result.card["count_op"],
                     "count": result.card["count"], "generic": round(v["generic"], 4),
                     "customized": round(v["customized"], 4), "served": v["served"],
                     "seconds": result.card["seconds"]})
        print(f"  {path.stem}: generic {v['generic']:.3f}, customized {v['customized']:.3f} "
              f"({result.card['seconds']:.0f} s)", file=sys.stderr, flush=True)
    p50 = latency(held_out, args.calls)
    payload = {"data": str(args.data), "train_photos": len(train), "held_out_photos": len(held_out),
               "epochs": args.epochs, "apps": rows, "object_call_p50_ms": round(p50, 1)}
    print(f"{'app':14s} {'provider':9s} {'decision':22s} {'generic':>8s} {'custom':>8s} {'served':>10s} {'cost s':>7s}")
    for r in rows:
        decision = f"{'/'.join(r['classes'][:3])} {r['count_op'] or 'count'} {r['count'] if r['count'] is not None else ''}"
        print(f"{r['app']:14s} {r['provider']:9s} {decision:22s} {r['generic']:8.3f} {r['customized']:8.3f} "
              f"{r['served']:>10s} {r['seconds']:7.0f}")
    print(f"object_localization p50 at batch 1, one thread: {p50:.1f} ms")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
