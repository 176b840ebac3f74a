"""Reliability under hostile input: every image gets an answer or the SDK's own error.

The corpus (tests/hostile_images.py) is generated in memory: decompression bombs, truncated
and huge files, degenerate sizes, unusual modes, formats a service refuses, non-images.
Each goes through every provider; nothing may raise anything but the SDK's error type, no
external program may start, local files are never read unless allowed, and concurrent
calls answer exactly as one thread does.
"""

from __future__ import annotations

import http.server
import io
import os
import random
import subprocess
import threading
import time

import pytest

import chameleonapi
from tests.images import photo
from tests.imaging.hostile import EPS, OFFLINE_ENDPOINT, PROVIDERS, call, corpus, google_batch, url_calls

pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")

ANSWER = "answer"
BAD = "Bad image data."
# name -> expected outcome per provider (google, azure_cv, azure_ia): ANSWER, Google's
# per-image status code, or the Azure services' inner error code.
EXPECTED: dict[str, tuple] = {
    "photo_jpeg": (ANSWER, ANSWER, ANSWER),
    "bomb_png_30000x30000": (3, "InvalidImageSize", "InvalidImageSize"),
    "truncated_jpeg": (3, "InvalidImageFormat", "InvalidImageFormat"),
    "huge_png_12000x12000": (3, ANSWER, ANSWER),  # over Google's 75M pixels; within Azure's 16000x16000
    "one_pixel_png": (ANSWER, "InvalidImageSize", "InvalidImageSize"),  # Azure: at least 50x50
    "thin_png_1x60000": (ANSWER, "InvalidImageSize", "InvalidImageSize"),
    "cmyk_jpeg": (ANSWER, ANSWER, ANSWER),
    "gray16_png": (ANSWER, ANSWER, ANSWER),
    "palette_alpha_png": (ANSWER, ANSWER, ANSWER),
    "rgba_png": (ANSWER, ANSWER, ANSWER),
    "animated_gif": (ANSWER, ANSWER, ANSWER),
    "bmp": (ANSWER, ANSWER, ANSWER),
    "tiff": (ANSWER, "InvalidImageFormat", ANSWER),  # Computer Vision v3.2: JPEG, PNG, GIF, BMP only
    "webp": (ANSWER, "InvalidImageFormat", ANSWER),
    "ico": (ANSWER, "InvalidImageFormat", ANSWER),
    "ico_hiding_a_huge_png": (3, "InvalidImageFormat", "InvalidImageSize"),  # the frame, not the directory, counts
    "eps": (3, "InvalidImageFormat", "InvalidImageFormat"),
    "svg_text": (3, "InvalidImageFormat", "InvalidImageFormat"),
    "random_bytes": (3, "InvalidImageFormat", "InvalidImageFormat"),
    "empty": (3, "InvalidImageFormat", "InvalidImageFormat"),
}


@pytest.fixture
def served():
    chameleonapi.enable(["google", "azure"])
    yield
    chameleonapi.disable()


def expected_of(outcome: tuple):
    """The comparable part of an outcome: ANSWER, Google's code, or Azure's inner code."""
    if outcome[0] == ANSWER:
        return ANSWER
    assert outcome[0] == "error", f"not the SDK's error: {outcome}"
    return outcome[2] if outcome[1] == "google.rpc.Status" else outcome[-2]


def same_outcome(a: tuple, b: tuple) -> bool:
    """Errors equal; answers with the same labels and scores equal up to batching's rounding."""
    if a[0] != ANSWER or b[0] != ANSWER:
        return a == b
    first, second = dict(a[1]), dict(b[1])
    return first.keys() == second.keys() and all(abs(first[k] - second[k]) < 1e-4 for k in first)


def test_the_corpus_covers_every_case():
    assert set(corpus()) == set(EXPECTED)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_hostile_image_gets_an_answer_or_the_sdks_error(served, provider):
    column = PROVIDERS.index(provider)
    for name, data in corpus().items():
        outcome = call(provider, data)
        assert expected_of(outcome) == EXPECTED[name][column], (name, outcome)
        if provider == "google" and outcome[0] == "error" and name != "empty":
            assert outcome[3] == BAD  # the service's words for any image it cannot use
        if outcome[0] == ANSWER:  # a real ranking, not an empty answer (Google reports nothing under 0.5)
            assert outcome[1] or provider == "google", name


def test_a_bad_image_in_a_batch_is_that_images_error_only(served):
    images = corpus()
    batch = google_batch(list(images.values()))
    single = [call("google", data) for data in images.values()]
    assert all(same_outcome(b, s) for b, s in zip(batch, single, strict=True)), (batch, single)
    assert [expected_of(o) for o in batch] == [EXPECTED[name][0] for name in images]


# ----------------------------------------------------------------- no external program
@pytest.fixture
def spawn_spy(monkeypatch):
    """Record (and refuse) every way a Python process starts another program."""
    import _posixsubprocess

    started: list[tuple] = []

    def refuse(name):
        def spy(*args, **kwargs):
            started.append((name, args[:1]))
            raise OSError(f"{name} is not allowed here")

        return spy

    class Popen(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            started.append(("subprocess.Popen", args[:1]))
            raise OSError("subprocess.Popen is not allowed here")

    monkeypatch.setattr(subprocess, "Popen", Popen)
    monkeypatch.setattr(_posixsubprocess, "fork_exec", refuse("_posixsubprocess.fork_exec"))
    for name in ("system", "popen", "posix_spawn", "posix_spawnp", "execv", "execve", "execvp", "execvpe",
                 "execl", "execle", "execlp", "execlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, refuse(f"os.{name}"))
    return started


@pytest.fixture
def fake_ghostscript(tmp_path, monkeypatch):
    """A `gs` on PATH, so Pillow's EPS plugin would run it if it ever saw the bytes."""
    from PIL import EpsImagePlugin

    gs = tmp_path / "bin" / "gs"
    gs.parent.mkdir()
    gs.write_text("#!/bin/sh\nexit 1\n")
    gs.chmod(0o755)
    monkeypatch.setenv("PATH", f"{gs.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(EpsImagePlugin, "gs_binary", None)  # found again on next use
    monkeypatch.setattr(EpsImagePlugin, "gs_windows_binary", None, raising=False)


def test_the_spy_sees_pillows_ghostscript_when_eps_is_not_refused(fake_ghostscript, spawn_spy):
    from PIL import Image

    with pytest.raises(OSError):
        Image.open(io.BytesIO(EPS)).load()  # what an unrestricted Image.open would do
    assert spawn_spy, "the spy must catch Pillow starting Ghostscript"


def test_no_external_program_runs_while_decoding(served, fake_ghostscript, spawn_spy):
    for data in corpus().values():
        for provider in PROVIDERS:
            call(provider, data)
    google_batch(list(corpus().values()))
    assert spawn_spy == []


# ----------------------------------------------------------------- bounded cost
def _vm_kb(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1])
    raise KeyError(key)


def test_thin_images_are_preprocessed_within_a_bounded_window(served, monkeypatch):
    from chameleonapi.imaging import fit

    seen: list[tuple[int, int]] = []
    original = fit.center_window

    def spy(image, max_ratio=2.0):
        out = original(image, max_ratio)
        seen.append(out.size)
        return out

    monkeypatch.setattr(fit, "center_window", spy)
    call("google", corpus()["photo_jpeg"])  # the model is loaded before measuring
    seen.clear()
    peak_above = None
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset the peak RSS to the current RSS
        baseline = _vm_kb("VmRSS")
    except OSError:
        baseline = None
    outcome = call("google", corpus()["thin_png_1x60000"])
    if baseline is not None:
        peak_above = (_vm_kb("VmHWM") - baseline) / 1024
    assert outcome[0] == ANSWER
    assert seen and all(max(size) <= 2 * min(size) for size in seen)
    if peak_above is not None:
        assert peak_above <= 300, f"a 1x60000 image cost {peak_above:.0f} MB"


# ----------------------------------------------------------------- local files
def _bounded(run, uri, seconds: float = 20.0):
    """run(uri) in a thread; a call that blocks (e.g. on a FIFO) fails the test instead of hanging it."""
    result: list = []
    worker = threading.Thread(target=lambda: result.append(run(uri)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert result, f"{uri} blocked the call"
    return result[0]


@pytest.fixture
def local_files(tmp_path):
    cat = tmp_path / "root" / "cat.jpg"
    cat.parent.mkdir()
    cat.write_bytes(photo("chelsea"))
    fifo = tmp_path / "root" / "pipe"
    os.mkfifo(fifo)
    big = tmp_path / "root" / "big.jpg"
    with open(big, "wb") as fh:
        fh.truncate(21 * 1024 * 1024)  # over every service's limit, and sparse
    return {"cat": cat, "fifo": fifo, "dir": cat.parent, "big": big, "missing": tmp_path / "missing.jpg"}


def test_local_files_are_refused_by_default_with_one_error(served, local_files):
    uris = ["/etc/passwd", "/dev/zero", str(local_files["fifo"]), str(local_files["missing"]),
            str(local_files["dir"]), str(local_files["cat"]), local_files["cat"].as_uri(), "file:///etc/shadow"]
    for name, run in url_calls().items():
        answers = {uri: _bounded(run, uri) for uri in uris}
        assert len(set(answers.values())) == 1, (name, answers)  # nothing tells the files apart
        assert ANSWER not in answers.values()


def test_allowed_local_files_are_regular_files_only(served, local_files, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_ALLOW_LOCAL_FILES", "1")
    refused = ["/dev/zero", str(local_files["fifo"]), str(local_files["dir"]), str(local_files["missing"])]
    for name, run in url_calls().items():
        if name != "cv.detect_objects":  # the detector is trained elsewhere; refusals are its business here
            assert _bounded(run, str(local_files["cat"])) == ANSWER
            assert _bounded(run, local_files["cat"].as_uri()) == ANSWER
        answers = {uri: _bounded(run, uri) for uri in refused}
        assert len(set(answers.values())) == 1, (name, answers)
        assert ANSWER not in answers.values()
        too_big = _bounded(run, str(local_files["big"]))
        assert too_big != ANSWER and too_big[0] in (3, "InvalidImageSize"), (name, too_big)


def test_a_local_root_confines_local_files(served, local_files, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_ALLOW_LOCAL_FILES", "1")
    monkeypatch.setenv("CHAMELEONAPI_LOCAL_ROOT", str(local_files["dir"]))
    run = url_calls()["cv.tag_image"]
    assert _bounded(run, str(local_files["cat"])) == ANSWER
    outside = {_bounded(run, uri) for uri in ("/etc/passwd", str(local_files["missing"]),
                                              str(local_files["dir"] / ".." / "missing.jpg"))}
    assert len(outside) == 1 and ANSWER not in outside


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def _serve(body: bytes, drip: float | None):
    stop = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                if drip is None:
                    self.wfile.write(body)
                    return
                for byte in body:
                    if stop.wait(drip):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            except OSError:
                return

        def log_message(self, *args):
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, stop


def test_downloads_have_an_overall_deadline(served, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_ALLOW_NETWORK", "1")
    monkeypatch.setenv("CHAMELEONAPI_ALLOW_PRIVATE_NETWORK", "1")  # the test's server is on 127.0.0.1
    monkeypatch.setenv("CHAMELEONAPI_FETCH_TIMEOUT", "0.5")
    data = photo("chelsea")
    fast, _ = _serve(data, None)
    slow, stop = _serve(data, drip=0.05)  # the whole image would take ~20 minutes
    try:
        run = url_calls()["google.image_uri"]
        assert _bounded(run, f"http://127.0.0.1:{fast.server_address[1]}/cat.jpg") == ANSWER
        started = time.monotonic()
        outcome = _bounded(run, f"http://127.0.0.1:{slow.server_address[1]}/cat.jpg")
        elapsed = time.monotonic() - started
        assert outcome != ANSWER and "deadline" in outcome[1]
        assert elapsed < 10 * 0.5  # cut off near the deadline, far from the server's pace
    finally:
        stop.set()
        for server in (fast, slow):
            server.shutdown()
            server.server_close()


# ----------------------------------------------------------------- dialect gaps
def test_image_analysis_without_visual_features_is_a_type_error(served):
    from azure.ai.vision.imageanalysis import ImageAnalysisClient
    from azure.ai.vision.imageanalysis.aio import ImageAnalysisClient as AsyncClient
    from azure.core.credentials import AzureKeyCredential

    client = ImageAnalysisClient(endpoint=OFFLINE_ENDPOINT, credential=AzureKeyCredential("k"))
    with pytest.raises(TypeError, match="visual_features"):
        client.analyze(photo("chelsea"))
    with pytest.raises(TypeError, match="visual_features"):
        client.analyze_from_url("https://example.com/cat.jpg")
    aclient = AsyncClient(endpoint=OFFLINE_ENDPOINT, credential=AzureKeyCredential("k"))
    with pytest.raises(TypeError, match="visual_features"):
        aclient.analyze(photo("chelsea"))


def test_google_negative_max_results_is_that_images_invalid_argument(served):
    from google.cloud import vision

    client = vision.ImageAnnotatorClient()
    label = vision.Feature.Type.LABEL_DETECTION
    batch = client.batch_annotate_images(
        requests=[
            {"image": {"content": photo("chelsea")}, "features": [{"type_": label, "max_results": -3}]},
            {"image": {"content": photo("chelsea")}, "features": [{"type_": label, "max_results": 3}]},
        ]
    )
    bad, good = batch.responses
    assert bad.error.code == 3 and "max_results" in bad.error.message and not bad.label_annotations
    assert len(good.label_annotations) == 3 and not good.error.code


def test_text_streams_get_the_sdks_error(served):
    text = "not an image"
    assert expected_of(call("azure_cv", io.StringIO(text))) == "InvalidImageFormat"
    assert expected_of(call("azure_ia", io.StringIO(text))) == "InvalidImageFormat"
    assert expected_of(call("azure_ia", text)) == "InvalidImageFormat"


def test_text_streams_get_the_sdks_error_from_the_async_client(served):
    import asyncio

    from azure.ai.vision.imageanalysis.aio import ImageAnalysisClient as AsyncClient
    from azure.ai.vision.imageanalysis.models import VisualFeatures
    from azure.core.credentials import AzureKeyCredential
    from azure.core.exceptions import HttpResponseError

    async def analyze():
        async with AsyncClient(endpoint=OFFLINE_ENDPOINT, credential=AzureKeyCredential("k")) as client:
            return await client.analyze(io.StringIO("not an image"), [VisualFeatures.TAGS])

    with pytest.raises(HttpResponseError) as excinfo:
        asyncio.run(analyze())
    assert type(excinfo.value) is HttpResponseError
    assert excinfo.value.error.innererror["code"] == "InvalidImageFormat"


# ----------------------------------------------------------------- concurrency
def test_eight_threads_answer_like_one(served):
    images = corpus()
    names = [n for n in images if n != "huge_png_12000x12000"]  # keep it fast; the benchmark has it
    rng = random.Random(15)
    plan = [(rng.choice(PROVIDERS), rng.choice(names)) for _ in range(8 * 12)]
    single = [call(provider, images[name]) for provider, name in plan]
    results: list = [None] * len(plan)

    def worker(offset: int) -> None:
        for index in range(offset, len(plan), 8):
            provider, name = plan[index]
            results[index] = call(provider, images[name])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == single
    assert all(outcome[0] in (ANSWER, "error") for outcome in results)


# ----------------------------------------------------------------- decoding to what the model needs
def test_large_images_are_decoded_reduced_and_reported_at_their_size(served):
    from PIL import Image

    from chameleonapi import services
    from chameleonapi.imaging import decode_image
    from chameleonapi.imaging.decode import KEEP_SIDE

    big = Image.open(io.BytesIO(photo("chelsea"))).resize((3608, 2400))
    for fmt in ("JPEG", "PNG"):  # JPEG: draft mode at decode; PNG: reduced right after
        buffer = io.BytesIO()
        big.save(buffer, fmt)
        decoded = decode_image(buffer.getvalue(), services.descriptor("azure_ia").policy)
        assert (decoded.width, decoded.height) == (3608, 2400)
        assert KEEP_SIDE <= min(decoded.image.size) < 2 * KEEP_SIDE
        assert decoded.image.mode == "RGB"
    from azure.ai.vision.imageanalysis import ImageAnalysisClient
    from azure.ai.vision.imageanalysis.models import VisualFeatures
    from azure.core.credentials import AzureKeyCredential

    client = ImageAnalysisClient(endpoint=OFFLINE_ENDPOINT, credential=AzureKeyCredential("k"))
    result = client.analyze(buffer.getvalue(), [VisualFeatures.TAGS])
    assert (result.metadata.width, result.metadata.height) == (3608, 2400)
    assert "cat" in [tag.name for tag in result.tags.list]


def test_a_raster_over_the_decode_budget_gets_the_size_error(served, monkeypatch):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1024, 1024), (10, 200, 30)).save(buffer, "PNG")  # a 4 MB raster
    assert expected_of(call("azure_cv", buffer.getvalue())) == ANSWER
    monkeypatch.setenv("CHAMELEONAPI_DECODE_MAX_MB", "1")
    assert expected_of(call("azure_cv", buffer.getvalue())) == "InvalidImageSize"
    assert expected_of(call("google", buffer.getvalue())) == 3
