"""The shared model store against a real S3 API (moto's server) and a file:// folder:
conditional creates, whole-or-nothing publishing, checksums on every download, leases."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest

from chameleonapi import leases, objectstore
from tests.s3server import s3_client

pytest.importorskip("torch")

from chameleonapi import store  # noqa: E402
from tests.test_store import tiny_model  # noqa: E402

PARTS = {"spec": {"kind": "true_false", "labels": ["Cat"]}, "data": "d"}


def _bucket_of(url: str) -> tuple[str, str]:
    bucket, _, prefix = url[len("s3://"):].partition("/")
    return bucket, prefix


@pytest.fixture(params=["s3", "file"])
def any_store(request, tmp_path, monkeypatch):
    if request.param == "s3":
        return objectstore.open_store(request.getfixturevalue("s3_store"))
    url = (tmp_path / "shared").as_uri()
    monkeypatch.setenv("CHAMELEONAPI_STORE", url)
    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path / "home-a"))
    return objectstore.open_store(url)


def test_create_is_exclusive_even_when_racing(any_store):
    wins = []
    barrier = threading.Barrier(6)

    def writer(n):
        barrier.wait()
        if any_store.create("manifests/race.json", f"writer {n}".encode()):
            wins.append(n)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    assert any_store.get("manifests/race.json") == f"writer {wins[0]}".encode()
    assert any_store.list("manifests/") == ["manifests/race.json"]


def test_a_model_built_once_is_published_and_pulled_by_another_cache(any_store, tmp_path, monkeypatch):
    built = []
    first = store.get_or_create(PARTS, lambda: built.append(1) or tiny_model("first"))
    key = store.key_of(PARTS)
    manifest = json.loads(any_store.get(f"models/{key}.json"))
    local = {p.name for p in store.entry_path(key).iterdir()}  # every file of the entry, its graph included
    assert set(manifest["files"]) == local and {"card.json", "model.safetensors", "SHA256SUMS"} <= local
    for digest in manifest["files"].values():
        assert any_store.exists(f"blobs/{digest}")

    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path / "home-b"))  # another machine's cache

    def must_not_build():
        raise AssertionError("the published model was built again")

    second = store.get_or_create(PARTS, must_not_build)
    assert built == [1] and second.name == first.name == "first"
    card_b = (store.entry_path(key) / "card.json").read_bytes()
    assert objectstore.sha256_bytes(card_b) == manifest["files"]["card.json"]
    assert store.lookup(PARTS) is not None


def test_a_corrupt_object_is_never_served(any_store, tmp_path, monkeypatch):
    store.get_or_create(PARTS, lambda: tiny_model("good"))
    key = store.key_of(PARTS)
    manifest = json.loads(any_store.get(f"models/{key}.json"))
    weights = f"blobs/{manifest['files']['model.safetensors']}"
    data = bytearray(any_store.get(weights))
    data[len(data) // 2] ^= 0xFF
    any_store.put(weights, bytes(data))

    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path / "home-c"))
    with pytest.raises(objectstore.CorruptObject, match="does not match its checksum"):
        store.get_or_create(PARTS, lambda: tiny_model("rebuilt"))
    assert not store.entry_path(key).exists()  # nothing of it written to the local cache


def test_unset_store_keeps_the_local_cache_only(tmp_path, monkeypatch):
    monkeypatch.delenv("CHAMELEONAPI_STORE", raising=False)
    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path / "home"))
    assert objectstore.configured() is None
    store.get_or_create(PARTS, lambda: tiny_model("local"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_one_lease_holder_and_takeover_after_expiry(any_store, caplog):
    first = leases.take(any_store, "models-k", duration=0.6)
    with pytest.raises(leases.TrainingElsewhere):
        leases.take(any_store, "models-k", duration=0.6)
    time.sleep(1.0)  # the heartbeat keeps it alive past its first expiry
    with pytest.raises(leases.TrainingElsewhere):
        leases.take(any_store, "models-k", duration=0.6)
    first._stop.set()  # the holder stops beating (as a killed or frozen process does)
    first._beat.join()
    time.sleep(0.8)
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        second = leases.take(any_store, "models-k", duration=0.6)
    assert second.generation == first.generation + 1
    assert any("expired; taking it over" in r.message for r in caplog.records)
    second.release()
    third = leases.take(any_store, "models-k", duration=0.6)  # released: free at once, no warning
    third.release()
    assert third.generation == second.generation + 1


def test_a_waiting_process_gets_the_model_published_by_the_lease_holder(s3_store, tmp_path, monkeypatch):
    shared = objectstore.open_store(s3_store)
    key = store.key_of(PARTS)
    lease = leases.take(shared, f"models-{key}", duration=30)
    with pytest.raises(leases.TrainingElsewhere):  # a call never waits on another machine's training
        store.get_or_create(PARTS, lambda: tiny_model("second"))
    monkeypatch.setenv("CHAMELEONAPI_STORE_POLL", "0.1")
    got = {}

    def wait_for_it():
        with leases.waiting():
            got["model"] = store.get_or_create(PARTS, lambda: tiny_model("second"))

    waiter = threading.Thread(target=wait_for_it)
    waiter.start()
    time.sleep(0.5)
    assert waiter.is_alive()  # polling: the lease is held
    with monkeypatch.context() as m:  # the holder, on another machine, publishes its model
        m.setenv("CHAMELEONAPI_HOME", str(tmp_path / "holder"))
        store.MODELS.put(PARTS, tiny_model("holder"))
        assert store.MODELS.publish(key, shared)
    lease.release()
    waiter.join(20)
    assert got["model"].name == "holder"


def test_features_are_published_and_read_back_checked(s3_store, tmp_path, monkeypatch, caplog):
    import torch

    from chameleonapi import tensorfiles

    calls = []

    def compute():
        calls.append(1)
        return {"features": torch.arange(12, dtype=torch.float16).reshape(3, 4)}

    path_a = tensorfiles.features_dir() / f"photos-{'a' * 20}.safetensors"
    first = tensorfiles.get_or_compute(path_a, compute)
    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path / "home-b"))
    path_b = tensorfiles.features_dir() / path_a.name
    second = tensorfiles.get_or_compute(path_b, compute)
    assert calls == [1] and torch.equal(first["features"], second["features"])

    bucket, prefix = _bucket_of(s3_store)
    key = f"{prefix}/{tensorfiles.shared_key(path_a)}"
    body = bytearray(s3_client(objectstore.open_store(s3_store).client.meta.endpoint_url)
                     .get_object(Bucket=bucket, Key=key)["Body"].read())
    body[-3] ^= 0x55
    objectstore.open_store(s3_store).put(tensorfiles.shared_key(path_a), bytes(body))
    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path / "home-c"))
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        third = tensorfiles.get_or_compute(tensorfiles.features_dir() / path_a.name, compute)
    assert calls == [1, 1] and torch.equal(third["features"], first["features"])
    assert any("do not match their checksum" in r.message for r in caplog.records)


def test_store_and_ray_settings_and_train_flags():
    from chameleonapi import config
    from chameleonapi.cli import build_parser
    from chameleonapi.errors import SettingsError

    with config.override(store="s3://bucket/prefix/"):
        assert config.store_url() == "s3://bucket/prefix"
    for bad in ("bucket/prefix", "https://example.com/models", "s3://"):
        with pytest.raises(SettingsError, match="store"):
            config.store_url(bad)
    assert config.ray_address("1") == "local" and config.ray_address("off") is None
    assert config.ray_address("ray://head:10001") == "ray://head:10001"
    args = build_parser().parse_args(["train", "app.py", "--ray", "--store", "s3://bucket/prefix"])
    assert (args.ray, args.store) == ("local", "s3://bucket/prefix")
    assert build_parser().parse_args(["train", "app.py", "--ray", "ray://head:10001"]).ray == "ray://head:10001"
    assert build_parser().parse_args(["train", "app.py"]).ray is None
