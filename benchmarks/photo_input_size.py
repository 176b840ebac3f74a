"""Input size on real photos: the backbone's cost per photo against decision quality.

The generic labeler runs the ImageNet backbone at 224 px; every customization on photos
computes pooled features of every photo once at that size, which dominates a cold
customization. A smaller input size is cheaper (roughly with its pixel count), but it
changes what the frozen backbone sees. This benchmark measures, for each `--sizes` entry,
on the same photos (`benchmarks/photos.py`'s split and applications):

- the feature cost per photo (preprocessing + pooled features, one torch thread; best of
  five rounds with the sizes interleaved, so other work on a shared machine slows every
  size alike) and the resulting cost of the features of 10,000 photos;
- the incorrect-decision rate per decision type of the generic labeler and of the
  customized model (`loss="chameleon"`, one seed, the default budget) at that size,
  scored by each application's analysed decision (`spec.decide`) on held-out photos.

A smaller size is worth using only where it costs nothing in decisions.

    python benchmarks/photo_input_size.py [--sizes 224,160,128] [--train 3000] [--test 1000] \
        [--home DIR] [--json benchmarks/results/photo_input_size.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("CHAMELEONAPI_THREADS", "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import photos as bench  # noqa: E402  (the decision benchmark's split, apps and true labels)

KINDS = bench.KINDS
TIMING_BATCH = 32


def test_features(images, size: int, home: Path, keys: list[str]):
    """Pooled features of the held-out photos at `size` (cached under `home`)."""
    import torch
    from safetensors.torch import load_file, save_file

    from chameleonapi.model.backbone import create_backbone
    from chameleonapi.training import photo_features as pf

    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]
    path = home / "features" / f"input-size-test-{size}-{digest}.safetensors"
    if path.exists():
        return load_file(str(path))["features"].float()
    backbone = create_backbone(pretrained=True).eval()
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(images), 64):
            chunks.append(pf.pooled(backbone, torch.from_numpy(pf.prepare(images[start : start + 64], size))).float())
    feats = torch.cat(chunks)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({"features": feats.to(torch.float16).contiguous()}, str(path))
    return feats.to(torch.float16).float()


def time_per_photo(images, sizes: list[int], rounds: int = 5) -> dict[int, float]:
    """Seconds per photo of preprocessing + pooled features at each size: best of `rounds`
    rounds, the sizes interleaved within a round so that other work on a shared machine
    slows every size alike."""
    import torch

    from chameleonapi.model.backbone import create_backbone
    from chameleonapi.training import photo_features as pf

    backbone = create_backbone(pretrained=True).eval()
    batch = images[:TIMING_BATCH]
    best = dict.fromkeys(sizes, float("inf"))
    with torch.inference_mode():
        for size in sizes:  # warm-up
            pf.pooled(backbone, torch.from_numpy(pf.prepare(batch[:4], size)))
        for _ in range(rounds):
            for size in sizes:
                start = time.perf_counter()
                pf.pooled(backbone, torch.from_numpy(pf.prepare(batch, size)))
                best[size] = min(best[size], (time.perf_counter() - start) / len(batch))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=bench.DEFAULT_DATA)
    parser.add_argument("--sizes", default="224,160,128")
    parser.add_argument("--train", type=int, default=3000)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--budget", default="default")
    parser.add_argument("--home", type=Path, default=None, help="cache folder (default: a fresh temporary one)")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "photo_input_size.json")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"photos not found at {args.data}: pass --data DIR (an image folder root/<class>/*.jpg)", file=sys.stderr)
        return 2
    home = args.home or Path(tempfile.mkdtemp(prefix="chameleonapi-size-"))
    os.environ["CHAMELEONAPI_HOME"] = str(home)

    import torch

    torch.set_num_threads(int(os.environ["CHAMELEONAPI_THREADS"]))
    from chameleonapi.images import decode

    from chameleonapi.model.photo import PhotoModel
    from chameleonapi.training import pipeline
    from chameleonapi.training.evaluate import incorrect_rate

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    train, test = bench.split_photos(args.data, args.train, args.test)
    pool = bench.pool_folder(train, home / bench.POOL_DIR)
    images = [decode(bench.servable(p.read_bytes())) for p, _ in test]
    keys = [f"{c}/{p.name}" for p, c in test]
    classes = [c for _, c in test]
    apps = [(path.stem, bench.decision_specs(path)[0]) for path in sorted((HERE / "photo_apps").glob("*.py"))]
    plan = pipeline.budget_of(args.budget)

    load_before = os.getloadavg()[0]
    timing = time_per_photo(images, sizes)
    rows = []
    for size in sizes:
        per_photo = timing[size]
        feats = test_features(images, size, home, keys)
        entry = {"size": size, "feature_ms_per_photo": 1000 * per_photo,
                 "features_10000_s": 10000 * per_photo, "apps": {}}
        for name, spec in apps:
            truth = [spec.decide_from_truth([bench.provider_style(t, spec.provider) for t in bench.TRUE_LABELS[c]])
                     for c in classes]
            generic = PhotoModel.generic(provider=spec.provider, input_size=size)
            rate_g = incorrect_rate(spec, generic.labels, generic.scores_from_features(feats)[:, generic.source], truth)
            started = time.perf_counter()
            model = pipeline.train(spec, str(pool), loss="chameleon", budget=replace(plan, input_size=size), progress=False)
            rate_c = incorrect_rate(spec, model.labels, model.scores_from_features(feats)[:, model.source], truth)
            entry["apps"][name] = {"kind": spec.kind, "generic": rate_g, "chameleonapi": rate_c,
                                   "customize_s": time.perf_counter() - started}
            print(f"  {size:>4} px {name:<16} generic {rate_g:.3f}  chameleonapi {rate_c:.3f}", file=sys.stderr, flush=True)
        entry["pooled"] = {
            kind: {model: statistics.fmean(a[model] for a in entry["apps"].values() if a["kind"] == kind)
                   for model in ("generic", "chameleonapi")}
            for kind in KINDS if any(a["kind"] == kind for a in entry["apps"].values())
        }
        rows.append(entry)

    print(f"\nInput size on {len(train)} photos to customize, {len(test)} held out (one seed, budget {args.budget}); "
          "incorrect-decision rate per decision type, generic / chameleonapi")
    kinds = list(rows[0]["pooled"])
    print(f"{'size':>6}{'ms/photo':>10}{'10,000 photos':>15}" + "".join(f"{k.replace('_', '-'):>22}" for k in kinds))
    for entry in rows:
        cells = "".join(f"{entry['pooled'][k]['generic']:>12.3f} / {entry['pooled'][k]['chameleonapi']:.3f}" for k in kinds)
        print(f"{entry['size']:>5}px{entry['feature_ms_per_photo']:>10.1f}{entry['features_10000_s']:>13.0f} s{cells}")
    payload = {"setup": {"data": str(args.data), "train_photos": len(train), "test_photos": len(test),
                         "budget": args.budget, "threads": torch.get_num_threads(), "seeds": 1,
                         "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
                         "timing": f"best of 5 interleaved rounds of {TIMING_BATCH} photos"},
               "sizes": rows}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
