"""Reliability promises, each held by a test that sees what the user sees: nothing of theirs
is lost, nothing outside their data is read, and nothing is raised into their calls
(docs/reliability.md lists each promise with its test)."""

from __future__ import annotations

import argparse
import http.server
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

from google.cloud import vision  # noqa: E402

import chameleonapi  # noqa: E402
from chameleonapi import config, store, tensorfiles  # noqa: E402
from chameleonapi.cli import cache as store_cli  # noqa: E402
from chameleonapi.data import load_dataset  # noqa: E402
from chameleonapi.data.base import split_of  # noqa: E402
from chameleonapi.serving import notices  # noqa: E402
from chameleonapi.serving.calls import labels_resolver  # noqa: E402
from chameleonapi.serving.engines import Engine  # noqa: E402
from chameleonapi.serving.labels import LABELS  # noqa: E402
from tests.apploader import load_app  # noqa: E402
from tests.serving.test_reliability import (  # noqa: E402
    PET_DOOR,
    asides,
    ask,
    labels_of,
    small_jpeg,
    tiny_model,
)
from tests.training.test_photos import photo_folder  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def messages(caplog, level: int = logging.WARNING) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "chameleonapi" and r.levelno >= level]


@pytest.fixture(autouse=True)
def fresh_notices():
    notices._said.clear()
    yield
    notices._said.clear()


# ------------------------------------------------------------------ 1. cache clear
def _clear_cli() -> int:
    parser = argparse.ArgumentParser()
    store_cli.register(parser.add_subparsers())
    args = parser.parse_args(["cache", "clear"])
    return args.func(args)


def test_cache_clear_removes_only_what_the_cache_wrote(home, capsys):
    """A home that also holds the user's files (`home = "."`): `cache clear` removes the
    cache's models and features, and the user's model and embeddings are still there."""
    user_model = home / "models" / "resnet" / "best.pt"
    user_features = home / "features" / "train_embeddings.npy"
    for path in (user_model, user_features):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"the user's own work")
    entry = store.put({"clear": "me"}, tiny_model("cached"))
    import torch

    feature_file = tensorfiles.features_dir() / ("0" * 20 + ".safetensors")
    tensorfiles.write(feature_file, {"features": torch.ones(2, 3)})

    listed = {e["key"] for e in store.list_entries()}
    assert listed == {entry.name}, "the user's folder is not listed as a corrupt entry"
    assert _clear_cli() == 0
    assert user_model.read_bytes() == b"the user's own work"
    assert user_features.read_bytes() == b"the user's own work"
    assert not entry.exists() and not feature_file.exists()
    assert "removed 1 model(s)" in capsys.readouterr().out


def test_cache_clear_refuses_a_home_that_is_not_its_own(tmp_path, monkeypatch):
    """A folder chameleonapi never wrote into: nothing is removed, one clear error (exit 2)."""
    foreign = tmp_path / "project"
    (foreign / "models" / "resnet").mkdir(parents=True)
    (foreign / "models" / "resnet" / "best.pt").write_bytes(b"weights")
    (foreign / "models" / ("a" * 24)).mkdir()  # even a folder named like a key
    monkeypatch.setenv("CHAMELEONAPI_HOME", str(foreign))
    with pytest.raises(store.NotOwnFolder):
        store.clear()
    result = subprocess.run(
        [sys.executable, "-m", "chameleonapi", "cache", "clear"], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CHAMELEONAPI_HOME": str(foreign)},
    )
    assert result.returncode == 2 and "nothing removed" in result.stderr and "Traceback" not in result.stderr
    assert (foreign / "models" / "resnet" / "best.pt").read_bytes() == b"weights"
    assert (foreign / "models" / ("a" * 24)).is_dir()


# ------------------------------------------------------------------ 2. data confinement
@pytest.fixture
def opened_files():
    """Every path the process opens while the fixture is on (an audit hook; it stays inert after)."""
    seen: list[str] = []
    on = [True]

    def hook(event, args):
        if on[0] and event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            seen.append(os.fsdecode(args[0]))

    sys.addaudithook(hook)
    yield seen
    on[0] = False


def _train_name(prefix: str, folder: str, suffix: str = ".jpg") -> str:
    """A file name that the stable split puts in the train split."""
    for i in range(1000):
        name = f"{prefix}{i}{suffix}"
        if split_of(f"{folder}/{name}", 0) == "train":
            return name
    raise AssertionError("no train name")  # pragma: no cover


def test_training_data_outside_its_folder_is_never_opened(home, tmp_path, caplog, opened_files):
    from chameleonapi.training import photo_features as pf

    secret = tmp_path / "outside" / "secret.jpg"
    secret.parent.mkdir()
    secret.write_bytes(small_jpeg())
    data = photo_folder(tmp_path / "photos", {"cat": "chelsea", "coffee": "coffee"}, count=6)
    (data / "cat" / _train_name("link", "cat")).symlink_to(secret)
    (data / "stolen").symlink_to(secret.parent, target_is_directory=True)  # a label folder leading out

    rows = ["image,labels", f"{secret},cat", "../outside/secret.jpg,cat"]
    rows += [f"{p.relative_to(data).as_posix()},{p.parent.name}" for p in sorted(data.glob("cat/0*.jpg"))]
    csv_file = data / "labels.csv"
    csv_file.write_text("\n".join(rows) + "\n")

    opened_files.clear()  # what the test itself wrote
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        for source in (str(data), str(csv_file)):
            for split in ("train", "val", "test"):
                try:
                    dataset = load_dataset(source, split)
                except ValueError:
                    continue
                assert all(os.path.realpath(p) != str(secret) for p in dataset.paths)
                if split == "train":
                    pf.usable(dataset)  # reads every photo kept
    assert not [p for p in opened_files if os.path.realpath(p) == str(secret)], "the outside file was opened"
    said = [m for m in messages(caplog) if "outside its folder" in m]
    assert len(said) == 2, said  # one for the folder (its link and the linked folder), one for the CSV
    assert said[0].startswith("skipped 2 ") and said[1].startswith("skipped 2 ")
    assert all("CHAMELEONAPI_ALLOW_OUTSIDE_DATA" in m for m in said)


def test_outside_files_are_used_when_the_user_allows_them(home, tmp_path, monkeypatch):
    secret = tmp_path / "outside" / "cat.jpg"
    secret.parent.mkdir()
    secret.write_bytes(small_jpeg())
    data = photo_folder(tmp_path / "photos", {"cat": "chelsea"}, count=4)
    (data / "cat" / _train_name("link", "cat")).symlink_to(secret)
    monkeypatch.setenv("CHAMELEONAPI_ALLOW_OUTSIDE_DATA", "1")
    assert any(os.path.realpath(p) == str(secret) for p in load_dataset(str(data), "train").paths)


# ------------------------------------------------------------------ 3. bad photos
def test_unreadable_photos_are_skipped_with_a_count_and_customization_goes_on(home, tmp_path, caplog):
    from chameleonapi.analysis import analyze
    from chameleonapi.training.pipeline import train

    data = photo_folder(tmp_path / "photos", {"cat": "chelsea", "coffee": "coffee"}, count=12)
    good = (data / "cat" / "000.jpg").read_bytes()
    bad = {
        _train_name("empty", "cat"): b"",
        _train_name("truncated", "cat"): good[: len(good) // 3],
        _train_name("notes", "coffee"): b"this is not a photo\n" * 20,
    }
    for name, content in bad.items():
        folder = "cat" if not name.startswith("notes") else "coffee"
        (data / folder / name).write_bytes(content)
    app_path = tmp_path / "pet_door_bad_photos.py"
    app_path.write_text(PET_DOOR)
    spec = analyze(str(app_path))[0]
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        model = train(spec, str(data), budget="tiny", progress=False)
    said = [m for m in messages(caplog) if "unreadable photo" in m]
    assert len(said) == 1 and said[0].startswith("skipped 3 unreadable photo(s)"), said
    assert all(name in said[0] for name in sorted(bad)[:3])
    total_train = len(load_dataset(str(data), "train", size=200))
    assert model.card["data"]["train_photos"] == total_train - 3


def test_data_with_too_few_readable_photos_is_refused_with_one_clear_error(home, tmp_path):
    from chameleonapi.errors import DataError
    from chameleonapi.training import photo_features as pf

    data = photo_folder(tmp_path / "photos", {"cat": "chelsea"}, count=2)
    for i in range(6):
        (data / "cat" / f"broken{i}.jpg").write_bytes(b"")
    with pytest.raises(DataError, match="too few usable photos"):
        pf.usable(load_dataset(str(data), "train"))


# ------------------------------------------------------------------ 4. analysis bounds
def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _first_call_of(app_path: Path, name: str):
    """(answer, seconds, peak bytes above the resident size before the call). The peak is the
    kernel's resident high-water mark, reset before the call: tracemalloc is not used, since
    tracing allocations while the SDK's native threads create Python thread states crashes
    CPython 3.11."""
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("the resident high-water mark is read from Linux's /proc")
    app = load_app(app_path, name)
    before = _status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident size
    started = time.perf_counter()
    answer = app.should_open(small_jpeg())
    seconds = time.perf_counter() - started
    peak = max(0, _status_kb("VmHWM") - before) * 1024
    return answer, seconds, peak


@pytest.mark.parametrize("payload", ["literal_10mb", "labels_1m"])
def test_a_huge_module_costs_the_first_call_little_and_the_log_says_why(served, tmp_path, caplog, monkeypatch,
                                                                       payload):
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "auto")  # the first call analyses its caller
    monkeypatch.delenv("CHAMELEONAPI_DATA", raising=False)  # no photos: nothing trains
    normal = tmp_path / "pet_door_normal.py"
    normal.write_text(PET_DOOR)
    huge = tmp_path / f"pet_door_{payload}.py"
    if payload == "literal_10mb":
        extra = f'\nBLOB = "{"x" * (10 * 1024 * 1024)}"\n'
    else:
        extra = "\nLABELS = [" + ", ".join(f'"label{i}"' for i in range(1_000_000)) + "]\n"
    huge.write_text(PET_DOOR + extra)
    ask(vision.ImageAnnotatorClient(), small_jpeg())  # the generic model is loaded before timing
    with caplog.at_level(logging.INFO, logger="chameleonapi"):
        _, normal_s, _ = _first_call_of(normal, f"normal_{payload}")
        answer, huge_s, peak = _first_call_of(huge, f"huge_{payload}")
    assert answer in (True, False)
    assert peak < 64 * 1024 * 1024, f"first call allocated {peak / 2**20:.0f} MB"
    assert huge_s < 3 * normal_s + 0.5, f"huge module first call {huge_s:.2f} s vs normal {normal_s:.2f} s"
    said = [m for m in messages(caplog) if huge.name in m]
    assert len(said) == 1 and "CHAMELEONAPI_ANALYSIS_MAX_KB" in said[0] and "generic model" in said[0], said


# ------------------------------------------------------------------ 5. settings
@pytest.mark.parametrize("name, value", [("CHAMELEONAPI_DECODE_MAX_MB", "abc"),
                                         ("CHAMELEONAPI_ALLOW_LOCAL_FILES", "maybe"),
                                         ("CHAMELEONAPI_HOME", ""),
                                         ("CHAMELEONAPI_THREADS", "2000")])
def test_a_setting_that_turns_bad_never_raises_from_a_call(served, monkeypatch, caplog, tmp_path, name, value):
    from chameleonapi.model import generic

    client = vision.ImageAnnotatorClient()
    before = labels_of(ask(client, small_jpeg()))
    local = tmp_path / "cat.jpg"
    local.write_bytes(small_jpeg())
    monkeypatch.setenv(name, value)
    monkeypatch.setattr(labels_resolver, "_generic", None)  # the model is loaded again: home, threads read
    monkeypatch.setattr(generic, "_shared", {})
    with caplog.at_level(logging.ERROR, logger="chameleonapi"):
        after = [labels_of(ask(client, small_jpeg())) for _ in range(2)]
        by_uri = client.label_detection(image=vision.Image(source=vision.ImageSource(image_uri=str(local))))
    assert after == [before, before]
    assert by_uri.error.code == 7  # local files stay refused (the value checked at start-up), no exception
    said = sum(name in m for m in messages(caplog, logging.ERROR))
    assert said <= 1  # once, where it is read at all (home and threads only when a model loads)
    if name in ("CHAMELEONAPI_DECODE_MAX_MB", "CHAMELEONAPI_ALLOW_LOCAL_FILES"):
        assert said == 1


@pytest.mark.parametrize("name, value", [("CHAMELEONAPI_THREADS", "2000"), ("CHAMELEONAPI_ANALYSIS_BUDGET", "nan"),
                                         ("CHAMELEONAPI_ANALYSIS_BUDGET", "abc"), ("CHAMELEONAPI_FETCH_TIMEOUT", "inf"),
                                         ("CHAMELEONAPI_DECODE_MAX_MB", "abc"), ("CHAMELEONAPI_HOME", ""),
                                         ("CHAMELEONAPI_LOCK_WAIT", "-1")])
def test_every_setting_is_checked_with_bounds_at_enable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(chameleonapi.SettingsError, match=name):
        chameleonapi.enable(["google"])
    assert not chameleonapi.is_enabled()


def test_misspelt_pyproject_keys_are_named_with_the_closest_key(tmp_path, monkeypatch, caplog):
    (tmp_path / "pyproject.toml").write_text('[tool.chameleonapi]\nbudgte = "small"\ntrian = "never"\n')
    previous = config.set_project(tmp_path / "app.py")
    try:
        with caplog.at_level(logging.WARNING, logger="chameleonapi"):
            config.validate()
    finally:
        config.set_project(previous)
        config.forget_validation()
    said = messages(caplog)
    assert any("'budgte'" in m and "'budget'" in m for m in said), said
    assert any("'trian'" in m and "'train'" in m for m in said), said


def test_a_bad_setting_at_start_up_serves_the_generic_model_never_the_network(monkeypatch, caplog, no_sockets):
    """`CHAMELEONAPI=1` with a bad setting: interception stays on (failing open would send the
    application's photos to the real service); the defaults stand in, nothing is customized."""
    monkeypatch.setenv("CHAMELEONAPI_DECODE_MAX_MB", "abc")
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "auto")
    from chameleonapi import bootstrap

    try:
        with caplog.at_level(logging.ERROR, logger="chameleonapi"):
            bootstrap._enable()
            client = vision.ImageAnnotatorClient(client_options={"api_endpoint": "127.0.0.1:9"})
            response = ask(client, small_jpeg())
        assert chameleonapi.is_enabled() and len(response.label_annotations) > 0
        assert config.train_mode() == "never"
        assert sum("CHAMELEONAPI_DECODE_MAX_MB" in m for m in messages(caplog, logging.ERROR)) == 1
    finally:
        chameleonapi.disable()
        labels_resolver.reset()
    assert not config.generic_only()


# ------------------------------------------------------------------ 6. one model snapshot
class _SwapOnRelease:
    """The engine's lock, with a model swap landing right as it is released (the race)."""

    def __init__(self, engine: Engine, incoming) -> None:
        self.inner = threading.Lock()
        self.engine, self.incoming = engine, incoming

    def __enter__(self):
        self.inner.acquire()
        return self

    def __exit__(self, *exc):
        self.inner.release()
        incoming, self.incoming = self.incoming, None
        if incoming is not None:
            self.engine.model = incoming  # what `swap` does, between the scores and the names


def test_scores_and_names_come_from_one_model_when_a_swap_lands_at_the_lock_release():
    import io

    from PIL import Image

    old = tiny_model("old")  # 3 labels
    new = tiny_model("new", ["Boat", "Car"])
    engine = Engine(old)
    expected = engine.annotate([Image.open(io.BytesIO(small_jpeg()))], max_results=10)
    engine._lock = _SwapOnRelease(engine, new)
    got = engine.annotate([Image.open(io.BytesIO(small_jpeg()))], max_results=10)
    assert got == expected  # the old model's scores under the old model's names
    assert engine.model is new
    after = engine.annotate([Image.open(io.BytesIO(small_jpeg()))], max_results=10)
    assert sorted(name for name, _ in after[0]) == ["Boat", "Car"]


# ------------------------------------------------------------------ 7. stuck lock holders
HOLDER = textwrap.dedent("""
    import sys, time
    from chameleonapi import store
    lock = store.MODELS.lock(store.key_of({"stuck": "trainer"}))
    print("locked", flush=True)
    time.sleep(120)
""")


@pytest.fixture
def stopped_holder(home):
    """Another process holding the key's lock, then stopped (SIGSTOP) as a stuck trainer is."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout.readline().strip() == "locked"
        proc.send_signal(signal.SIGSTOP)
        yield proc
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.kill()
        proc.wait(30)


def _customizing_through_the_store(monkeypatch, builds: list):
    parts = {"stuck": "trainer"}

    def build(spec, progress=True):
        return store.get_or_create(parts, lambda: builds.append(1) or tiny_model("built-here"))

    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "auto")
    monkeypatch.setattr(LABELS, "plan", lambda site, provider: object())
    monkeypatch.setattr(LABELS, "build", build)


def test_a_stopped_trainer_delays_a_first_call_only_by_the_bounded_wait(stopped_holder, served, monkeypatch,
                                                                        caplog):
    wait = 2.0
    monkeypatch.setenv("CHAMELEONAPI_LOCK_WAIT", str(wait))
    builds: list = []
    _customizing_through_the_store(monkeypatch, builds)
    client = vision.ImageAnnotatorClient()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        response = ask(client, small_jpeg())
    elapsed = time.monotonic() - started
    assert len(response.label_annotations) > 0 and served[-1].model == "generic" and builds == []
    assert wait <= elapsed < 5 * wait, f"the first call waited {elapsed:.1f} s with a {wait} s limit"
    said = [m for m in messages(caplog) if "CHAMELEONAPI_LOCK_WAIT" in m]
    assert len(said) == 1 and f"process {stopped_holder.pid}" in said[0] and "generic model" in said[0]


def test_a_lock_without_a_heartbeat_is_broken(stopped_holder, served, monkeypatch, caplog):
    monkeypatch.setenv("CHAMELEONAPI_LOCK_WAIT", "60")
    monkeypatch.setenv("CHAMELEONAPI_LOCK_STALE", "1")
    builds: list = []
    _customizing_through_the_store(monkeypatch, builds)
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        ask(vision.ImageAnnotatorClient(), small_jpeg())
    assert builds == [1] and served[-1].model == "built-here"
    assert sum("broke the lock" in m for m in messages(caplog)) == 1


# ------------------------------------------------------------------ 8. cards of the wrong shape
@pytest.mark.parametrize("shape", ["list", "label_space-string", "source-strings"])
def test_a_card_of_the_wrong_shape_is_moved_aside_and_rebuilt(home, served, monkeypatch, shape):
    parts = {"card": shape}
    entry = store.entry_path(store.key_of(parts))
    builds: list = []

    def build(spec, progress=True):
        return store.get_or_create(parts, lambda: builds.append(1) or tiny_model(f"built-{len(builds)}"))

    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "auto")
    monkeypatch.setattr(LABELS, "plan", lambda site, provider: object())
    monkeypatch.setattr(LABELS, "build", build)
    client = vision.ImageAnnotatorClient()
    ask(client, small_jpeg())
    card_path = entry / store.CARD
    card = json.loads(card_path.read_text())
    if shape == "list":
        card = [card]
    elif shape == "label_space-string":
        card.update(kind="photo", label_space="everything")
    else:
        card["source"] = ["0", "1", "2"]
    card_path.write_text(json.dumps(card))
    store.write_sums(entry)  # checksums agree: only the schema can tell

    labels_resolver.reset()  # the next start
    response = ask(client, small_jpeg())
    # the rebuilt model answers (at most the 3 asked for; Google reports no label under 0.5)
    assert served[-1].model == "built-2" and 1 <= len(response.label_annotations) <= 3
    assert asides(entry) == [] and store.check_entry(entry, (store.CARD, store.WEIGHTS)) is None
    labels_resolver.reset()  # and the start after that loads it
    ask(client, small_jpeg())
    assert served[-1].model == "built-2" and len(builds) == 2


# ------------------------------------------------------------------ smaller promises
def test_names_in_log_lines_are_escaped_and_shortened(home, tmp_path, caplog):
    import csv

    from chameleonapi.analysis import analyze
    from chameleonapi.serving.labels import uncovered_labels

    forged = "zorgblat\r\nchameleonapi: all photos verified"
    long_name = "zorgq" + "q" * 5000
    data = photo_folder(tmp_path / "photos", {"cat": "chelsea"}, count=8)
    csv_file = data / "labels.csv"
    with open(csv_file, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["image", "labels"])
        for i, photo_path in enumerate(sorted(data.glob("cat/*.jpg"))):
            writer.writerow([photo_path.relative_to(data).as_posix(), forged if i % 2 else long_name])
    app_path = tmp_path / "pet_door_names.py"
    app_path.write_text(PET_DOOR)
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        uncovered_labels(analyze(str(app_path))[0], str(csv_file))
    said = [m for m in messages(caplog) if "zorg" in m]
    assert len(said) == 1 and "\n" not in said[0] and "\r" not in said[0], said
    assert "zorgblat\\r\\nchameleonapi" in said[0] and len(said[0]) < 500, said


def test_a_flipped_byte_in_cached_features_is_caught_and_they_are_recomputed(home, caplog):
    from chameleonapi.training import photo_features as pf

    dataset = load_dataset("builtin", "train", seed=0, size=4)
    first = pf.features(dataset)
    path = pf.cache_path(dataset)
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 0x01  # a bit of the last tensor value: the file still parses
    path.write_bytes(bytes(blob))
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        again = pf.features(dataset)
    assert (again == first).all() and path.read_bytes() != bytes(blob)
    assert sum("do not match their checksum" in m for m in messages(caplog)) == 1
    assert (pf.features(dataset) == first).all()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def test_downloads_never_reach_private_addresses_unless_allowed(served, monkeypatch):
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            hits.append(self.path)
            body = small_jpeg()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = vision.ImageAnnotatorClient()

    def fetch(url):
        image = vision.Image(source=vision.ImageSource(image_uri=url))
        return client.label_detection(image=image, timeout=10)

    monkeypatch.setenv("CHAMELEONAPI_ALLOW_NETWORK", "1")
    monkeypatch.setenv("CHAMELEONAPI_FETCH_TIMEOUT", "2")
    try:
        local = f"http://127.0.0.1:{server.server_address[1]}/cat.jpg"
        for url in (local, f"http://localhost:{server.server_address[1]}/cat.jpg",
                    "http://169.254.169.254/latest/meta-data/", "http://[::1]:9/x.jpg"):
            response = fetch(url)
            assert response.error.code == 3 and "private" in response.error.message, url
        assert hits == []
        monkeypatch.setenv("CHAMELEONAPI_ALLOW_PRIVATE_NETWORK", "1")
        assert len(fetch(local).label_annotations) > 0 and hits == ["/cat.jpg"]
    finally:
        server.shutdown()
        server.server_close()
