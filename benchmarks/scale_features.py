"""Photo features in one process vs as a Ray job with 2 workers, and the fleet's cost model.

Runs, on the same photos (the shared CIFAR-10 photographs, `--photos` of them):
  - `photo_features.compute_with_mask` in this process, one thread, on the runtime serving uses
    (`CHAMELEONAPI_RUNTIME`: the ONNX graph when onnxruntime is installed, else torch);
  - `training.scaleout.compute_on_ray` on a local Ray instance with 2 CPUs, 2 workers of one
    thread each, the same runtime, shards through a shared store on moto's S3 server;
and reports both wall times, seconds per photo per core, the speed-up, and how far the two
sets of features are apart (they must agree to float16 rounding). It also measures the cost
model of docs/scaling.md on the same store: bytes of a published model entry and of the
features per photo, and the latency of taking, beating and releasing a lease.

    python benchmarks/scale_features.py [--photos 2000] [--json benchmarks/results/scale_features.json]
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
os.environ.setdefault("CHAMELEONAPI_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PHOTOS = ROOT.parent / "shared" / "data" / "cifar10-train"


def start_s3() -> tuple[object, str]:
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    os.environ.update({"AWS_ENDPOINT_URL_S3": url, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1"})
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket="chameleonapi-bench")
    return server, "s3://chameleonapi-bench/fleet"


def lease_timings(store_url: str, rounds: int = 20) -> dict:
    from chameleonapi import leases, objectstore

    shared = objectstore.open_store(store_url)
    take, beat, release = [], [], []
    for i in range(rounds):
        start = time.perf_counter()
        lease = leases.take(shared, f"bench-{i}", duration=60)
        take.append(time.perf_counter() - start)
        start = time.perf_counter()
        shared.put(f"leases/bench-{i}/{lease.generation:08d}", lease._record(time.time() + 60))
        beat.append(time.perf_counter() - start)
        start = time.perf_counter()
        lease.release()
        release.append(time.perf_counter() - start)
    ms = lambda xs: round(1000 * statistics.median(xs), 2)  # noqa: E731
    return {"take_ms": ms(take), "heartbeat_ms": ms(beat), "release_ms": ms(release), "rounds": rounds}


def model_entry_bytes(store_url: str) -> dict:
    """Bytes a published photo model costs in the store (classifier over the generic label space)."""
    from chameleonapi import objectstore, store
    from chameleonapi.model.photo import PhotoModel

    parts = {"bench": "entry-size"}
    store.MODELS.put(parts, PhotoModel.generic(name="bench"))
    key = store.key_of(parts)
    shared = objectstore.open_store(store_url)
    store.MODELS.publish(key, shared)
    files = json.loads(shared.get(store.MODELS.manifest_key(key)))["files"]
    sizes = {name: len(shared.get(f"blobs/{digest}")) for name, digest in files.items()}
    return {"files": sizes, "total": sum(sizes.values()) + len(shared.get(store.MODELS.manifest_key(key)))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--data", type=Path, default=PHOTOS, help="image folder (default: ../shared/data/cifar10-train)")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"skipped: {args.data} is absent (development data)")
        return 0
    home = tempfile.mkdtemp(prefix="chameleonapi-scale-")
    os.environ["CHAMELEONAPI_HOME"] = home
    server, store_url = start_s3()
    os.environ["CHAMELEONAPI_STORE"] = store_url

    import ray
    import torch

    from chameleonapi.data.folder import ImageFolder
    from chameleonapi.model.backbone import configure_threads, create_backbone, for_inference
    from chameleonapi.model.graphs import runtime as graph_runtime
    from chameleonapi.training import photo_features
    from chameleonapi.training.scaleout import compute_on_ray

    configure_threads()
    dataset = ImageFolder(args.data, "train", val_fraction=0.0, test_fraction=0.0, size=args.photos)
    n = len(dataset)
    # the trunk serving uses (the ONNX graph when that runtime is on), built outside the timing;
    # the Ray workers run the same one
    runtime = graph_runtime()
    model = None if runtime == "onnx" else for_inference(create_backbone(pretrained=True), "cpu")
    if model is None:
        photo_features.feature_graph(photo_features.INPUT_SIZE)

    start = time.perf_counter()
    single, single_bad = photo_features.compute_with_mask(dataset, model)
    single_s = time.perf_counter() - start

    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    init_s = time.perf_counter() - start
    start = time.perf_counter()
    feats, bad = compute_on_ray(dataset, size=photo_features.INPUT_SIZE, workers=2,
                                features_file=photo_features.cache_path(dataset))
    ray_s = time.perf_counter() - start
    ray.shutdown()

    diff = (feats.float() - single.float()).abs()
    same = {
        "bitwise_equal": bool(torch.equal(feats, single)),
        "max_abs_diff": float(diff.max()),
        "rows_equal": int((diff.amax(dim=1) == 0).sum()),
        "unreadable_equal": bool(torch.equal(bad, single_bad)),
    }
    result = {
        "photos": n,
        "runtime": runtime,
        "data": "shared CIFAR-10 photographs (32x32 JPEG), first photos of a stable order",
        "machine_cores": os.cpu_count(),
        "single_process_s": round(single_s, 2),
        "single_s_per_photo_core": round(single_s / n, 5),
        "ray_init_s": round(init_s, 2),
        "ray_2_workers_s": round(ray_s, 2),
        "ray_s_per_photo_core": round(ray_s * 2 / n, 5),
        "speedup": round(single_s / ray_s, 2),
        "same_features": same,
        "feature_bytes_per_photo": 1280 * 2,
        "model_entry_bytes": model_entry_bytes(store_url),
        "lease": lease_timings(store_url),
        "store": "moto S3 server on 127.0.0.1 (local HTTP; a real bucket adds network latency)",
    }
    server.stop()
    rows = [
        ("single process, 1 thread", f"{single_s:.1f} s", f"{1000 * single_s / n:.1f} ms"),
        ("Ray, 2 workers x 1 thread", f"{ray_s:.1f} s (+{init_s:.1f} s ray.init)", f"{1000 * ray_s * 2 / n:.1f} ms"),
    ]
    print(f"photo features of {n} photos")
    print(f"{'':28} {'wall':>26} {'per photo per core':>20}")
    for name, wall, per in rows:
        print(f"{name:28} {wall:>26} {per:>20}")
    print(f"speed-up {result['speedup']}x; same features: {same}")
    print(f"model entry {result['model_entry_bytes']['total']} bytes; lease {result['lease']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
