"""Reliability: settings mistakes, cache faults, unwritable caches, first-call locking,
executor attribution and switching on and off under load never break the application."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import shutil
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

import pytest

pytest.importorskip("torch")

from google.api_core import exceptions as google_exceptions  # noqa: E402
from google.auth.credentials import AnonymousCredentials  # noqa: E402
from google.cloud import vision  # noqa: E402

import chameleonapi  # noqa: E402
from chameleonapi import artifacts, store  # noqa: E402
from chameleonapi.cli import cache as store_cli  # noqa: E402
from chameleonapi.model import backbone, generic  # noqa: E402
from chameleonapi.serving import labels as serving_labels  # noqa: E402
from chameleonapi.serving.calls import labels_resolver  # noqa: E402
from chameleonapi.serving.callsites import CallSite  # noqa: E402
from chameleonapi.serving.labels import LABELS  # noqa: E402
from chameleonapi.serving.objects import OBJECTS  # noqa: E402
from chameleonapi.serving.resolution import (
    Resolver,  # noqa: E402
    SiteEngines,  # noqa: E402
)
from tests.apploader import load_app  # noqa: E402
from tests.images import photo  # noqa: E402
from tests.tiny_models import tiny_model  # noqa: E402

PET_DOOR = resources.files("chameleonapi.examples").joinpath("pet_door.py").read_text()


# ------------------------------------------------------------------ helpers
def small_jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(io.BytesIO(photo("chelsea"))).resize((96, 64)).save(buffer, "JPEG")
    return buffer.getvalue()


def asides(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}{store.ASIDE}*"))


def labels_of(response) -> list[tuple[str, float]]:
    return [(a.description, round(a.score, 5)) for a in response.label_annotations]



@pytest.fixture(autouse=True)
def builtin_data(monkeypatch):
    """These tests customize on the built-in scenes, chosen explicitly as a user would."""
    monkeypatch.setenv("CHAMELEONAPI_DATA", "builtin")


def ask(client, image: bytes):
    return client.label_detection(image=vision.Image(content=image))


# ------------------------------------------------------------------ settings
@pytest.mark.parametrize("value", ["abc", "-3", "1.5"])
def test_bad_thread_setting_is_one_clear_error_and_keeps_cached_models(home, value, monkeypatch, caplog):
    parts = {"settings": value}
    store.put(parts, tiny_model("kept"))
    entry = store.entry_path(store.key_of(parts))
    sums = (entry / store.SUMS).read_text()
    monkeypatch.setenv("CHAMELEONAPI_THREADS", value)

    with pytest.raises(chameleonapi.SettingsError, match="CHAMELEONAPI_THREADS") as raised:
        chameleonapi.enable(["google"])
    assert isinstance(raised.value, ValueError) and value in str(raised.value)
    assert not chameleonapi.is_enabled()

    # Reading the store with the bad setting (a process that bypassed enable) leaves it alone.
    with caplog.at_level(logging.ERROR, logger="chameleonapi"):
        model = store.lookup(parts)
        store.lookup(parts)
    assert model is not None and model.name == "kept"
    assert (entry / store.SUMS).read_text() == sums and asides(entry) == []
    said = [r for r in caplog.records if "CHAMELEONAPI_THREADS" in r.getMessage()]
    assert len(said) == 1  # one clear message, not one per load


def test_bad_setting_during_calls_keeps_answering(served, monkeypatch, caplog):
    client = vision.ImageAnnotatorClient()
    before = labels_of(ask(client, small_jpeg()))
    monkeypatch.setenv("CHAMELEONAPI_THREADS", "many")
    monkeypatch.setattr(labels_resolver, "_generic", None)
    monkeypatch.setattr(generic, "_shared", {})
    with caplog.at_level(logging.ERROR, logger="chameleonapi"):
        after = [labels_of(ask(client, small_jpeg())) for _ in range(2)]
    assert after == [before, before]
    assert sum("CHAMELEONAPI_THREADS" in r.getMessage() for r in caplog.records) <= 1


# ------------------------------------------------------------------ store faults
def _damage(entry: Path, fault: str) -> None:
    weights, card = entry / store.WEIGHTS, entry / store.CARD
    if fault == "truncated-weights":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 3])
    elif fault == "garbage-card":
        card.write_bytes(os.urandom(300))
    elif fault == "edited-card":
        data = json.loads(card.read_text())
        data["input_size"] = 0
        card.write_text(json.dumps(data))
    elif fault == "wrong-shape-tensors":  # consistent checksums: only the format check can tell
        from safetensors.torch import load_file, save_file

        state = {k: v.clone() for k, v in load_file(str(weights)).items()}  # no mmap of the file
        name = next(n for n, t in state.items() if t.ndim == 2)
        state[name] = state[name][:, :-1].contiguous()
        save_file(state, str(weights))
        store.write_sums(entry)
    elif fault == "entry-is-a-file":
        shutil.rmtree(entry)
        entry.write_text("not a model")
    elif fault == "entry-is-a-dangling-symlink":
        shutil.rmtree(entry)
        entry.symlink_to(entry.parent / "nowhere")
    else:  # pragma: no cover
        raise AssertionError(fault)


FAULTS = ["truncated-weights", "garbage-card", "edited-card", "wrong-shape-tensors", "entry-is-a-file",
          "entry-is-a-dangling-symlink"]


@pytest.mark.parametrize("fault", FAULTS)
def test_store_fault_is_moved_aside_and_rebuilt_while_the_app_answers(home, fault, served, monkeypatch):
    """A customized model's entry breaks between two runs: the next run moves it aside,
    rebuilds it once, serves it, and drops the aside copy only after the rebuild."""
    parts = {"fault": fault}
    builds: list[list[Path]] = []
    entry = store.entry_path(store.key_of(parts))

    def build_customized(spec, progress=True):
        def train():
            builds.append(asides(entry))
            return tiny_model(f"built-{len(builds)}")

        return store.get_or_create(parts, train)

    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "auto")
    monkeypatch.setattr(LABELS, "plan", lambda site, provider: object())
    monkeypatch.setattr(LABELS, "build", build_customized)
    client = vision.ImageAnnotatorClient()

    ask(client, small_jpeg())
    assert served[-1].model == "built-1" and builds == [[]]

    _damage(entry, fault)
    labels_resolver.reset()  # the next run of the application
    response = ask(client, small_jpeg())
    assert served[-1].model == "built-2" and len(response.label_annotations) == 3
    assert len(builds) == 2 and len(builds[1]) == 1, "the damaged entry was moved aside, not deleted"
    assert asides(entry) == [] and entry.is_dir() and not entry.is_symlink()
    assert store.check_entry(entry, (store.CARD, store.WEIGHTS)) is None

    labels_resolver.reset()  # and the run after that loads it: no third build
    ask(client, small_jpeg())
    assert served[-1].model == "built-2" and len(builds) == 2


def test_aside_copy_is_kept_when_the_rebuild_fails(home):
    parts = {"rebuild": "fails"}
    store.put(parts, tiny_model("old"))
    entry = store.entry_path(store.key_of(parts))
    _damage(entry, "truncated-weights")

    def broken():
        raise RuntimeError("out of data")

    with pytest.raises(RuntimeError, match="out of data"):
        store.get_or_create(parts, broken)
    kept = asides(entry)
    assert len(kept) == 1 and (kept[0] / store.WEIGHTS).exists()
    assert store.get_or_create(parts, lambda: tiny_model("new")).name == "new"
    assert asides(entry) == []


def test_detector_entry_fault_is_moved_aside_and_rebuilt(home):
    from chameleonapi.detection import heads
    from chameleonapi.detection.model import Head

    parts = {"kind": "test-fault"}
    builds = []

    def build():
        builds.append(1)
        return Head(), {"name": "head"}

    heads.get_or_train(parts, build)
    path = heads.detectors_dir() / heads.key_of(parts)
    (path / heads.HEAD).write_bytes(b"\0" * 100)
    head, card = heads.get_or_train(parts, build)
    assert len(builds) == 2 and card["name"] == "head" and asides(path) == []
    heads.get_or_train(parts, build)
    assert len(builds) == 2


@pytest.mark.parametrize("fault", ["truncated", "garbage", "wrong-shape", "no-checksum"])
def test_converted_generic_weights_are_verified_and_rebuilt(home, fresh_generic, served, fault, monkeypatch):
    path = backbone.safetensors_path()
    good = {k: v.clone() for k, v in backbone.imagenet_state_dict().items()}  # no mmap of the file
    client = vision.ImageAnnotatorClient()
    reference = labels_of(ask(client, small_jpeg()))

    if fault == "truncated":
        path.write_bytes(path.read_bytes()[:4096])
    elif fault == "garbage":
        path.write_bytes(os.urandom(path.stat().st_size))
    elif fault == "wrong-shape":
        from safetensors.torch import save_file

        bad = dict(good)
        name = next(n for n, t in bad.items() if t.ndim == 4)
        bad[name] = bad[name][:1].contiguous()
        save_file(bad, str(path))
        artifacts.checksum_path(path).write_text(f"{store.sha256_file(path)}  {path.name}\n")
    else:
        artifacts.checksum_path(path).unlink()

    conversions = []

    def convert():
        conversions.append(asides(path))
        return {k: v.clone() for k, v in good.items()}

    monkeypatch.setattr(backbone, "_convert", convert)
    monkeypatch.setattr(generic, "_shared", {})
    monkeypatch.setattr(labels_resolver, "_generic", None)
    labels_resolver.reset()
    assert labels_of(ask(client, small_jpeg())) == reference  # the next call answers the same
    assert len(conversions) == 1 and len(conversions[0]) == 1, "moved aside, then converted again"
    assert backbone._read_verified(path)[0] is not None and asides(path) == []


@pytest.mark.parametrize("how", ["under-a-file", "read-only"])
@pytest.mark.parametrize("mode", ["never", "auto", "background"])
def test_unwritable_home_serves_generic_answers_with_one_warning(
    tmp_path, fresh_generic, served, monkeypatch, caplog, mode, how
):
    good = {k: v.clone() for k, v in backbone.imagenet_state_dict().items()}  # the session cache's
    monkeypatch.setattr(backbone, "_convert", lambda: {k: v.clone() for k, v in good.items()})
    if how == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes through read-only permissions")
        home = tmp_path / "ro"
        home.mkdir()
        home.chmod(0o555)
    else:
        (tmp_path / "file").write_text("in the way")
        home = tmp_path / "file" / "home"
    monkeypatch.setenv("CHAMELEONAPI_HOME", str(home))
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", mode)
    monkeypatch.setenv("CHAMELEONAPI_BUDGET", "tiny")
    app_path = tmp_path / "pet_door_ro.py"
    app_path.write_text(PET_DOOR)
    app = load_app(app_path, f"pet_door_ro_{mode}_{how.replace('-', '_')}")
    try:
        with caplog.at_level(logging.WARNING, logger="chameleonapi"):
            answers = [app.should_open(small_jpeg()) for _ in range(2)]
            for engine in list(labels_resolver._sites._engines.values()):
                if engine.background is not None:
                    assert engine.background.finished.wait(120)
            answers.append(app.should_open(small_jpeg()))
    finally:
        if how == "read-only":
            home.chmod(0o755)
    assert all(a in (True, False) for a in answers)
    assert served[-1].model == "generic"
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "not writable" in warnings[0], warnings


# ------------------------------------------------------------------ data caches
def test_corrupt_builtin_data_cache_is_rebuilt(home):
    from chameleonapi.data import animal_mnist

    path = animal_mnist.npz_path()
    animal_mnist._load_tiles.cache_clear()
    images, labels = animal_mnist.load_tiles()
    path.write_bytes(os.urandom(2048))
    animal_mnist._load_tiles.cache_clear()
    again, again_labels = animal_mnist.load_tiles()
    assert (again == images).all() and (again_labels == labels).all()
    animal_mnist._load_tiles.cache_clear()
    assert animal_mnist._read_npz(path) is not None and asides(path) == []


def test_corrupt_feature_cache_is_recomputed(home):
    from chameleonapi.data import load_dataset
    from chameleonapi.training import photo_features as pf

    dataset = load_dataset("builtin", "train", seed=0, size=4)
    first = pf.features(dataset)
    pf.cache_path(dataset).write_bytes(os.urandom(1000))
    again = pf.features(dataset)
    assert again.shape == first.shape and (again == first).all()


# ------------------------------------------------------------------ cache list
def test_cache_list_shows_malformed_entries_as_corrupt(home, capsys):
    good = {"list": "good"}
    store.put(good, tiny_model("fine"))
    listed = store.put({"list": "a list"}, tiny_model("a list"))
    (listed / store.CARD).write_text(json.dumps([1, 2]))  # not an object, checksum broken
    odd = store.put({"list": "odd fields"}, tiny_model("odd"))
    card = json.loads((odd / store.CARD).read_text())
    card.update(metrics="high", name={"a": 1}, loss=3, provider=None)
    (odd / store.CARD).write_text(json.dumps(card))
    store.write_sums(odd)  # consistent: odd values, yet a valid entry
    (store.models_dir() / ("0" * 24)).write_text("x")  # a stray file where an entry belongs
    (store.models_dir() / ("1" * 24)).symlink_to(store.models_dir() / "nowhere")

    parser = argparse.ArgumentParser()
    store_cli.register(parser.add_subparsers())
    for argv in (["cache", "list"], ["cache", "list", "--json"]):
        args = parser.parse_args(argv)
        assert args.func(args) == 0
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    statuses = {e["key"]: e["status"] for e in store.list_entries()}
    assert statuses[store.key_of(good)] == "ok"
    assert sorted(statuses.values()) == ["corrupt"] * 3 + ["ok"] * 2
    assert store.clear() == 5
    assert [p.name for p in store.models_dir().iterdir()] == [artifacts.MARKER]


# ------------------------------------------------------------------ locking
def test_served_sites_keep_their_latency_while_another_site_trains(served, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "auto")
    training = threading.Event()
    release = threading.Event()
    builds = []

    def plan(site, provider):
        return None if site.function == "served_site" else object()

    def slow_build(spec, progress=True):
        builds.append(1)
        training.set()
        release.wait(30)  # a long training run, holding no CPU
        return labels_resolver.generic().model

    monkeypatch.setattr(LABELS, "plan", plan)
    monkeypatch.setattr(LABELS, "build", slow_build)
    client = vision.ImageAnnotatorClient()
    image = small_jpeg()

    def served_site():
        start = time.perf_counter()
        client.label_detection(image=vision.Image(content=image))
        return time.perf_counter() - start

    def training_site():
        return client.label_detection(image=vision.Image(content=image))

    served_site()  # resolved once: generic
    idle = statistics.median(served_site() for _ in range(5))

    with ThreadPoolExecutor(3) as pool:
        first = [pool.submit(training_site), pool.submit(training_site)]  # same site twice
        assert training.wait(30)
        busy = statistics.median(served_site() for _ in range(5))
        still_training = not release.is_set() and not any(f.done() for f in first)
        release.set()
        for f in first:
            assert len(f.result(timeout=60).label_annotations) > 0
    assert still_training, "the served site answered while the other site was still training"
    assert len(builds) == 1, "concurrent first calls from one site resolve once"
    assert busy / idle < 3, f"served-site latency {busy * 1e3:.1f} ms vs idle {idle * 1e3:.1f} ms"


def test_background_mode_analyses_in_the_background(served, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "background")
    analysing = threading.Event()
    release = threading.Event()

    def slow_spec(site):
        analysing.set()
        release.wait(30)
        return None

    monkeypatch.setattr(serving_labels, "spec_for_site", slow_spec)
    client = vision.ImageAnnotatorClient()
    try:
        response = ask(client, small_jpeg())  # returns while the analysis is still running
        assert not release.is_set() and analysing.wait(30)
        assert served[-1].model == "generic" and len(response.label_annotations) > 0
    finally:
        release.set()
    engine = labels_resolver.engine_at(served[-1].call_site)
    assert engine.background.finished.wait(30) and not engine.background.ready.is_set()


def test_site_engines_resolve_each_site_once_and_sites_independently():
    sites = SiteEngines()
    gate = threading.Event()
    calls: list[str] = []

    def resolve(name):
        def run():
            calls.append(name)
            if name == "slow":
                gate.wait(30)
            return name

        return run

    with ThreadPoolExecutor(4) as pool:
        slow = [pool.submit(sites.get, "A", resolve("slow"), lambda: "fallback") for _ in range(3)]
        while not calls:
            time.sleep(0.001)
        assert sites.get("B", resolve("fast"), lambda: "fallback") == "fast"  # not blocked by A
        gate.set()
        assert [f.result(timeout=30) for f in slow] == ["slow"] * 3
    assert sorted(calls) == ["fast", "slow"]


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


@pytest.mark.parametrize("customizer", [LABELS, OBJECTS], ids=["labels", "objects"])
def test_resolver_serves_other_sites_while_one_trains(customizer, monkeypatch):
    """Each kind's resolver: a site already served, or resolving to the generic model, never
    waits for another site's training; concurrent first calls from the training site share it."""
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "auto")
    gate, entered = threading.Event(), threading.Event()
    trained = CallSite("app.py", 1, "trains")
    served = CallSite("app.py", 2, "served")
    builds = []

    def build(plan, progress):
        builds.append(plan)
        entered.set()
        gate.wait(30)  # a long training run, holding no CPU
        return _Named("customized")

    monkeypatch.setattr(customizer, "check_available", lambda: None)
    monkeypatch.setattr(customizer, "generic_model", lambda: _Named("generic"))
    monkeypatch.setattr(customizer, "plan", lambda site, provider: site if site == trained else None)
    monkeypatch.setattr(customizer, "build", build)
    resolver = Resolver(customizer)
    with ThreadPoolExecutor(2) as pool:
        first = [pool.submit(resolver.engine_for, trained, "google") for _ in range(2)]
        assert entered.wait(30)
        assert resolver.engine_for(served, "google").name == "generic"
        assert resolver.engine_for(served, "google") is resolver.generic()
        assert not any(f.done() for f in first)
        gate.set()
        engines = [f.result(timeout=30) for f in first]
    assert [e.name for e in engines] == ["customized"] * 2 and engines[0] is engines[1]
    assert builds == [trained]


# ------------------------------------------------------------------ executors
def test_executor_calls_are_attributed_to_the_submitting_frame(served, caplog):
    client = vision.ImageAnnotatorClient()
    image = vision.Image(content=small_jpeg())

    async def coroutine_site():
        loop = asyncio.get_running_loop()
        await asyncio.to_thread(client.label_detection, image=image)
        await loop.run_in_executor(None, lambda: None)
        await loop.run_in_executor(None, client.label_detection, image)

    with caplog.at_level(logging.INFO, logger="chameleonapi"):
        with ThreadPoolExecutor(2) as pool:
            pool.submit(client.label_detection, image=image).result()
            list(pool.map(client.label_detection, [image]))
        asyncio.run(coroutine_site())
    functions = [call.call_site.function for call in served]
    here = "test_executor_calls_are_attributed_to_the_submitting_frame"
    assert functions == [here] * 2 + ["coroutine_site"] * 2
    assert all(call.call_site.file == __file__ for call in served)
    assert not [r for r in caplog.records if "no source file" in r.getMessage()]


def test_executor_hook_is_removed_on_disable():
    original = vars(ThreadPoolExecutor)["submit"]
    with chameleonapi.enabled(["google"]):
        assert vars(ThreadPoolExecutor)["submit"] is not original
    assert vars(ThreadPoolExecutor)["submit"] is original


# ------------------------------------------------------------------ switching under load
def test_enable_disable_toggled_while_threads_call():
    from google.cloud.vision_v1.services.image_annotator import client as client_module

    cls = client_module.ImageAnnotatorClient
    originals = {name: vars(cls)[name] for name in ("__init__", "batch_annotate_images")}
    submit = vars(ThreadPoolExecutor)["submit"]
    image = small_jpeg()
    # An endpoint nothing listens on: a call made while disabled fails fast, never leaves the box.
    client = vision.ImageAnnotatorClient(
        credentials=AnonymousCredentials(), client_options={"api_endpoint": "127.0.0.1:9"}
    )
    with chameleonapi.enabled(["google"]):
        reference = labels_of(client.label_detection(image=vision.Image(content=image), retry=None))
    stop = threading.Event()
    local, refused, other = [], [], []
    pool = ThreadPoolExecutor(2)

    request = {"image": vision.Image(content=image), "retry": None, "timeout": 2}

    def caller(through_pool: bool):
        while not stop.is_set():
            try:
                if through_pool:
                    response = pool.submit(client.label_detection, **request).result()
                else:
                    response = client.label_detection(**request)
            except google_exceptions.ServiceUnavailable:
                refused.append(1)
            except Exception as exc:  # pragma: no cover - reported below
                other.append(repr(exc))
            else:
                local.append(labels_of(response))

    threads = [threading.Thread(target=caller, args=(i % 2 == 0,)) for i in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(150):
            chameleonapi.enable(["google"])
            time.sleep(0.03 if i % 5 == 0 else 0.002 * (i % 3))
            chameleonapi.disable()
    finally:
        stop.set()
        for t in threads:
            t.join(60)
        pool.shutdown()
    assert not other, other[:3]
    assert local and all(answer == reference for answer in local)
    assert {name: vars(cls)[name] for name in originals} == originals
    assert vars(ThreadPoolExecutor)["submit"] is submit and not chameleonapi.is_enabled()
