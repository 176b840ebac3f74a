"""Per-call latency: the patched SDK call against calling the same model directly.

For each provider and batch size (1 and 16) the benchmark interleaves the two paths on the
same images so both see the same machine load:
  - patched: the unchanged SDK call served by chameleonapi (request decoding, image decode,
    model, response objects);
  - raw: the same model called directly on the same encoded images (decode + forward).
It also reports the bare forward pass on preprocessed tensors. Prints a table and writes
JSON (`--json PATH`) with `overhead_ratio_b1` = patched p50 / raw p50 at batch 1 (Google).

    python benchmarks/latency.py [--repeats 30] [--json benchmarks/results/latency.json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def photos() -> list[bytes]:
    from chameleonapi.cli.demo import bundled_photos

    return [p.read_bytes() for p in bundled_photos()]


def google_call(batch: list[bytes]):
    from google.cloud import vision

    client = vision.ImageAnnotatorClient()
    if len(batch) == 1:
        return lambda: client.label_detection(image=vision.Image(content=batch[0]))
    requests = [
        {"image": {"content": b}, "features": [{"type_": vision.Feature.Type.LABEL_DETECTION}]} for b in batch
    ]
    return lambda: client.batch_annotate_images(requests=requests)


def azure_cv_call(batch: list[bytes]):
    from azure.cognitiveservices.vision.computervision import ComputerVisionClient
    from msrest.authentication import CognitiveServicesCredentials

    client = ComputerVisionClient("http://127.0.0.1:9", CognitiveServicesCredentials("key"))

    def call():
        for data in batch:  # the Computer Vision API takes one image per request
            client.tag_image_in_stream(io.BytesIO(data))

    return call


def azure_ia_call(batch: list[bytes]):
    from azure.ai.vision.imageanalysis import ImageAnalysisClient
    from azure.ai.vision.imageanalysis.models import VisualFeatures
    from azure.core.credentials import AzureKeyCredential

    client = ImageAnalysisClient(endpoint="http://127.0.0.1:9", credential=AzureKeyCredential("key"))

    def call():
        for data in batch:
            client.analyze(image_data=data, visual_features=[VisualFeatures.TAGS])

    return call


def aws_call(batch: list[bytes]):
    import boto3

    client = boto3.client("rekognition", region_name="us-east-1")

    def call():
        for data in batch:  # DetectLabels takes one image per request
            client.detect_labels(Image={"Bytes": data}, MaxLabels=10)

    return call


# service name (as in the provider registry) -> the unchanged SDK call on a batch
CALLS = {"google": google_call, "azure_cv": azure_cv_call, "azure_ia": azure_ia_call, "aws": aws_call}


def measure(call, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    parser.add_argument("--json", type=Path, help="write results here")
    args = parser.parse_args(argv)
    os.environ["CHAMELEONAPI_THREADS"] = str(args.threads)
    os.environ["CHAMELEONAPI_TRAIN"] = "never"

    import chameleonapi
    from chameleonapi import providers
    from chameleonapi.imaging import decode_image
    from chameleonapi.model.registry import shared_model

    policy = providers.descriptor("google").policy

    model = shared_model("generic")
    data = photos()
    rows = []
    for batch_size in (1, 16):
        batch = [data[i % len(data)] for i in range(batch_size)]

        def raw(batch=batch):
            model.predict([decode_image(b, policy).image for b in batch])

        tensor = model.preprocess([decode_image(b, policy).image for b in batch])

        def forward(tensor=tensor):
            model.forward_tensor(tensor)

        for name, factory in CALLS.items():
            try:
                chameleonapi.enable([providers.descriptor(name).switch])
                patched = factory(batch)
            except (ImportError, ValueError) as exc:
                print(f"skipping {name}: {exc}", file=sys.stderr)
                chameleonapi.disable()
                continue
            repeats = args.repeats if batch_size == 1 else max(5, args.repeats // 4)
            for warm in (patched, raw, forward):
                warm()
            patched_t, raw_t, forward_t = [], [], []
            for _ in range(repeats):  # interleave so both paths see the same load
                patched_t += measure(patched, 1)
                raw_t += measure(raw, 1)
                forward_t += measure(forward, 1)
            chameleonapi.disable()
            rows.append(
                {
                    "provider": name,
                    "batch": batch_size,
                    "patched_p50_ms": statistics.median(patched_t),
                    "patched_p99_ms": percentile(patched_t, 99),
                    "raw_p50_ms": statistics.median(raw_t),
                    "raw_p99_ms": percentile(raw_t, 99),
                    "forward_p50_ms": statistics.median(forward_t),
                    "overhead_ratio": statistics.median(patched_t) / statistics.median(raw_t),
                    "repeats": repeats,
                }
            )

    header = f"{'provider':<9} {'batch':>5} {'patched p50':>12} {'p99':>8} {'raw p50':>9} {'p99':>8} {'forward p50':>12} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['provider']:<9} {r['batch']:>5} {r['patched_p50_ms']:>10.1f}ms {r['patched_p99_ms']:>6.1f}ms "
            f"{r['raw_p50_ms']:>7.1f}ms {r['raw_p99_ms']:>6.1f}ms {r['forward_p50_ms']:>10.1f}ms {r['overhead_ratio']:>6.3f}"
        )
    google_b1 = next((r for r in rows if r["provider"] == "google" and r["batch"] == 1), None)
    result = {
        "rows": rows,
        "overhead_ratio_b1": google_b1["overhead_ratio"] if google_b1 else None,
        "target_overhead_ratio_b1": 1.10,
        "threads": args.threads,
        "raw_definition": "same model called directly on the same encoded images (decode + preprocess + forward + label pooling)",
    }
    print(f"\noverhead_ratio_b1 (google, patched p50 / raw p50): {result['overhead_ratio_b1']:.3f} (target <= 1.10)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
