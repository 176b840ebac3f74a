"""The model store: keyed entries, atomic writes, one build across processes, self-repair."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("torch")

from chameleonapi import store  # noqa: E402
from chameleonapi.cli import cache as store_cli  # noqa: E402
from chameleonapi.model.photo import PhotoModel  # noqa: E402
from tests.tiny_models import tiny_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path))
    return tmp_path


def test_builds_once_then_loads(home):
    calls = []

    def build():
        calls.append(1)
        return tiny_model("first")

    parts = {"spec": {"kind": "true_false"}, "data": "x"}
    a = store.get_or_create(parts, build)
    b = store.get_or_create(parts, build)
    assert len(calls) == 1 and a.name == b.name == "first"
    assert b.labels == ["Cat", "Dog", "Animal"]
    card = json.loads((store.entry_path(store.key_of(parts)) / "card.json").read_text())
    assert card["key_parts"] == parts and len(card["sha256"]) == 64 and card["library_version"]
    assert store.lookup(parts) is not None and store.lookup({"other": 1}) is None


def test_key_depends_on_every_part():
    base = {"spec": {"kind": "true_false"}, "base": "b", "data": "d", "training": {"epochs": 1}}
    keys = {store.key_of(base)}
    for field in base:
        keys.add(store.key_of({**base, field: "changed"}))
    assert len(keys) == 1 + len(base)
    assert store.key_of(dict(reversed(list(base.items())))) == store.key_of(base)


@pytest.mark.parametrize("damage", ["flip", "truncate", "no-card", "bad-card"])
def test_corrupt_entries_are_discarded_and_rebuilt(home, damage):
    parts = {"case": damage}
    store.get_or_create(parts, lambda: tiny_model("old"))
    entry = store.entry_path(store.key_of(parts))
    weights, card = entry / "model.safetensors", entry / "card.json"
    if damage == "flip":
        data = bytearray(weights.read_bytes())
        data[len(data) // 2] ^= 0xFF
        weights.write_bytes(bytes(data))
    elif damage == "truncate":
        weights.write_bytes(weights.read_bytes()[:1000])
    elif damage == "no-card":
        card.unlink()
    else:
        card.write_text("{not json")
    rebuilt = store.get_or_create(parts, lambda: tiny_model("new"))
    assert rebuilt.name == "new"
    assert PhotoModel.load(entry).name == "new"


def test_list_and_clear_and_cli(home, capsys):
    store.get_or_create({"n": 1}, lambda: tiny_model("one"))
    store.get_or_create({"n": 2}, lambda: tiny_model("two"))
    entries = store.list_entries()
    assert sorted(e["name"] for e in entries) == ["one", "two"] and all(e["status"] == "ok" for e in entries)

    parser = argparse.ArgumentParser()
    store_cli.register(parser.add_subparsers())
    args = parser.parse_args(["cache", "list"])
    assert args.func(args) == 0
    assert "one" in capsys.readouterr().out
    args = parser.parse_args(["cache", "clear"])
    assert args.func(args) == 0
    assert "removed 2" in capsys.readouterr().out
    assert store.list_entries() == []


CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from chameleonapi import store
    from tests.tiny_models import tiny_model

    def build():
        with open(os.environ["BUILD_LOG"], "a") as fh:
            fh.write(f"{os.getpid()}\\n")
        time.sleep(1.5)
        return tiny_model(f"built-by-{os.getpid()}", ["Cat", "Dog"])

    Path(os.environ["READY"] + str(os.getpid())).touch()
    while not Path(os.environ["GO"]).exists():
        time.sleep(0.01)
    model = store.get_or_create({"concurrent": True}, build)
    print(model.name)
    """
)


def test_two_processes_train_once(home, tmp_path):
    env = {**os.environ, "CHAMELEONAPI_HOME": str(home), "BUILD_LOG": str(tmp_path / "builds.log"),
           "READY": str(tmp_path / "ready-"), "GO": str(tmp_path / "go"), "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    import time

    deadline = time.time() + 120
    while len(list(tmp_path.glob("ready-*"))) < 2 and time.time() < deadline:
        time.sleep(0.05)
    (tmp_path / "go").touch()  # both start together
    outs = [p.communicate(timeout=180)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len((tmp_path / "builds.log").read_text().split()) == 1, "exactly one process trained"
    assert outs[0] == outs[1] and outs[0].startswith("built-by-")
    assert len(store.list_entries()) == 1
