"""Hostile input, measured: per image and provider, what came back, how long, how much memory.

Three parts, all in one process with the generic model already loaded:
  1. the hostile corpus (tests/imaging/hostile.py, with the full 30000 x 30000 bomb: every
     row encoded) through Google (sync batch of one), Azure Computer Vision
     (`tag_image_in_stream`) and Image Analysis (`analyze`): outcome kind, the SDK error's
     code, seconds, and peak RSS above the RSS just before the call (the kernel's peak is
     reset before each call through /proc/self/clear_refs);
  2. local URIs with the default settings (`/etc/passwd`, `/dev/zero`, a FIFO, a missing
     file, a real photo) through every URL-taking call: the answers must be one and the
     same error, at once;
  3. 8 threads x N calls (default 200 each) of a seeded mix of providers and images against
     the same calls made by one thread: every outcome must be identical.

    python benchmarks/hostile.py [--calls 200] [--json benchmarks/results/hostile.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("CHAMELEONAPI_THREADS", "1")
os.environ.setdefault("CHAMELEONAPI_TRAIN", "never")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TIME_LIMIT_S = 2.0
RSS_LIMIT_MB = 600.0
THIN_RSS_LIMIT_MB = 300.0
THIN = "thin_png_1x60000"


def vm_mb(key: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    raise KeyError(key)


def measured(fn):
    """(result, seconds, peak RSS MB above the RSS before the call, absolute peak RSS MB)."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = vm_mb("VmRSS")
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    peak = vm_mb("VmHWM")
    return result, seconds, peak - before, peak


def code_of(outcome: tuple):
    if outcome[0] == "answer":
        return None
    if outcome[0] != "error":
        return outcome[1]
    return outcome[2] if outcome[1] == "google.rpc.Status" else outcome[-2]


def corpus_part(images: dict[str, bytes]) -> list[dict]:
    from tests.imaging.hostile import PROVIDERS, call

    rows = []
    for name, data in images.items():
        for provider in PROVIDERS:
            outcome, seconds, above, peak = measured(lambda p=provider, d=data: call(p, d))
            rows.append(
                {
                    "image": name,
                    "bytes": len(data),
                    "provider": provider,
                    "kind": outcome[0],
                    "error": code_of(outcome),
                    "error_type": outcome[1] if outcome[0] != "answer" else None,
                    "seconds": round(seconds, 4),
                    "peak_rss_above_baseline_mb": round(above, 1),
                    "peak_rss_mb": round(peak, 1),
                }
            )
    return rows


def uri_part() -> list[dict]:
    from tests.images import photo
    from tests.imaging.hostile import url_calls

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        fifo = Path(folder) / "pipe"
        os.mkfifo(fifo)
        cat = Path(folder) / "cat.jpg"
        cat.write_bytes(photo("chelsea"))
        uris = ["/etc/passwd", "/dev/zero", str(fifo), str(Path(folder) / "missing.jpg"), str(cat), cat.as_uri()]
        for name, run in url_calls().items():
            for uri in uris:
                answer: list = []
                worker = threading.Thread(target=lambda r=run, u=uri, a=answer: a.append(r(u)), daemon=True)
                started = time.perf_counter()
                worker.start()
                worker.join(10)
                seconds = time.perf_counter() - started
                rows.append(
                    {
                        "call": name,
                        "uri": uri.replace(folder, "<tmp>"),
                        "seconds": round(seconds, 4),
                        "blocked": not answer,
                        "answer": list(answer[0]) if answer and answer[0] != "answer" else (answer or ["blocked"])[0],
                    }
                )
    return rows


def threads_part(images: dict[str, bytes], calls_per_thread: int) -> dict:
    from tests.imaging.hostile import PROVIDERS, call

    names = [n for n in images if n not in ("huge_png_12000x12000", "bomb_png_30000x30000")]
    names.append("bomb_png_30000x30000")  # refused from its header: cheap, keep it in the mix
    rng = random.Random(15)
    plan = [(rng.choice(PROVIDERS), rng.choice(names)) for _ in range(8 * calls_per_thread)]
    started = time.perf_counter()
    single = [call(provider, images[name]) for provider, name in plan]
    single_s = time.perf_counter() - started
    results: list = [None] * len(plan)
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for index in range(offset, len(plan), 8):
                provider, name = plan[index]
                results[index] = call(provider, images[name])
        except BaseException as exc:  # noqa: BLE001 - counted, reported
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    threaded_s = time.perf_counter() - started
    return {
        "threads": 8,
        "calls_per_thread": calls_per_thread,
        "calls": len(plan),
        "images_in_mix": names,
        "identical": results == single,
        "mismatches": sum(a != b for a, b in zip(results, single)),
        "unexpected": sum(o is None or o[0] not in ("answer", "error") for o in results) + len(errors),
        "answers": sum(o is not None and o[0] == "answer" for o in results),
        "single_thread_s": round(single_s, 2),
        "eight_threads_s": round(threaded_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per thread in the 8-thread part")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "hostile.json"))
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # Pillow's DecompressionBombWarning for the 144M-pixel image

    import chameleonapi
    from tests.imaging.hostile import call, corpus

    chameleonapi.enable(["google", "azure"])
    images = dict(corpus(full_bomb=True))
    for provider in ("google", "azure_cv", "azure_ia"):
        call(provider, images["photo_jpeg"])  # model loaded, clients imported: the baseline
    baseline_mb = vm_mb("VmRSS")

    rows = corpus_part(images)
    print(f"baseline RSS after loading the model: {baseline_mb:.0f} MB\n")
    print(f"{'image':24s} {'bytes':>8s} {'provider':9s} {'result':22s} {'s':>6s} {'+MB':>6s} {'peakMB':>7s}")
    for r in rows:
        result = r["kind"] if r["kind"] == "answer" else f"error {r['error']}"
        print(
            f"{r['image']:24s} {r['bytes']:8d} {r['provider']:9s} {result:22s} {r['seconds']:6.2f} "
            f"{r['peak_rss_above_baseline_mb']:6.0f} {r['peak_rss_mb']:7.0f}"
        )
    uris = uri_part()
    print("\nlocal URIs, default settings:")
    for r in uris:
        print(f"  {r['call']:20s} {r['uri']:24s} {r['seconds']:6.3f}s  {str(r['answer'])[:70]}")
    concurrency = threads_part(images, args.calls)
    print(
        f"\n8 threads x {args.calls} calls: identical={concurrency['identical']} "
        f"mismatches={concurrency['mismatches']} unexpected={concurrency['unexpected']} "
        f"(one thread {concurrency['single_thread_s']} s, eight {concurrency['eight_threads_s']} s)"
    )

    slowest = max(r["seconds"] for r in rows)
    most_above = max(r["peak_rss_above_baseline_mb"] for r in rows)
    thin_above = max(r["peak_rss_above_baseline_mb"] for r in rows if r["image"] == THIN)
    per_call = {}
    for r in uris:
        per_call.setdefault(r["call"], set()).add(json.dumps(r["answer"]))
    summary = {
        "baseline_rss_mb": round(baseline_mb, 1),
        "slowest_call_s": slowest,
        "max_peak_rss_above_baseline_mb": most_above,
        "max_peak_rss_mb": max(r["peak_rss_mb"] for r in rows),
        "thin_png_peak_rss_above_baseline_mb": thin_above,
        "only_answers_or_sdk_errors": all(r["kind"] in ("answer", "error") for r in rows),
        "all_within_2s": slowest <= TIME_LIMIT_S,
        "all_within_600mb_above_baseline": most_above <= RSS_LIMIT_MB,
        "thin_within_300mb_above_baseline": thin_above <= THIN_RSS_LIMIT_MB,
        "local_uris_one_error_per_call": all(len(v) == 1 for v in per_call.values()),
        "local_uris_slowest_s": max(r["seconds"] for r in uris),
        "local_uris_blocked": sum(r["blocked"] for r in uris),
        "threads_identical": concurrency["identical"] and concurrency["unexpected"] == 0,
    }
    print("\nsummary:", json.dumps(summary, indent=1))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "hostile",
        "settings": {k: v for k, v in os.environ.items() if k.startswith("CHAMELEONAPI")},
        "summary": summary,
        "corpus": rows,
        "local_uris": uris,
        "concurrency": concurrency,
    }
    out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
