"""Fixtures of the reliability suites: a private cache folder, a fresh generic model, Google served."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private cache folder, already holding the session's verified generic weights."""
    from chameleonapi import artifacts
    from chameleonapi.model import backbone

    shared = backbone.safetensors_path()
    backbone.imagenet_state_dict()  # make sure the session cache holds them
    target = tmp_path / "home"
    (target / "weights").mkdir(parents=True)
    for file in (shared, artifacts.checksum_path(shared)):
        shutil.copy(file, target / "weights" / file.name)
    monkeypatch.setenv("CHAMELEONAPI_HOME", str(target))
    return target


@pytest.fixture
def fresh_generic(monkeypatch):
    """Forget the process's generic model so the next call loads it again from the cache."""
    from chameleonapi import artifacts
    from chameleonapi.model import backbone, generic
    from chameleonapi.serving.calls import labels_resolver

    monkeypatch.setattr(generic, "_shared", {})
    monkeypatch.setattr(backbone, "_in_memory", {})
    monkeypatch.setattr(labels_resolver, "_generic", None)
    monkeypatch.setattr(artifacts, "_warned_homes", set())
    labels_resolver.reset()
    yield
    labels_resolver.reset()


@pytest.fixture
def served():
    """Google served locally; yields every `ServedCall`, in order."""
    import chameleonapi
    from chameleonapi.serving.calls import labels_resolver
    from chameleonapi.serving.notices import add_listener, remove_listener

    chameleonapi.enable(["google"])
    calls: list = []
    add_listener(calls.append)
    labels_resolver.reset()
    yield calls
    remove_listener(calls.append)
    chameleonapi.disable()
    labels_resolver.reset()
