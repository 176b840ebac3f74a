"""Test-wide settings: offline, one torch thread, a private cache folder."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile

import pytest

from tests.s3server import s3_store  # noqa: F401  (fixture: a bucket on moto's S3 server)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("CHAMELEONAPI_THREADS", "1")
os.environ.setdefault("CHAMELEONAPI_TRAIN", "never")
# One cache per test session (weights converted once, trained models shared by tests);
# CI gets a fresh one, developers may point CHAMELEONAPI_HOME at a warm cache.
# A session-made cache is removed when the session ends, so test runs leave nothing behind.
if "CHAMELEONAPI_HOME" not in os.environ:
    os.environ["CHAMELEONAPI_HOME"] = tempfile.mkdtemp(prefix="chameleonapi-test-home-")
    atexit.register(shutil.rmtree, os.environ["CHAMELEONAPI_HOME"], ignore_errors=True)


@pytest.fixture
def azure():
    """Serve both Azure SDKs locally for one test."""
    import chameleonapi

    chameleonapi.enable(["azure"])
    yield
    chameleonapi.disable()


@pytest.fixture
def no_sockets(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(self, address):
        raise AssertionError(f"network connection attempted to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture
def serving_env(monkeypatch):
    """The settings `google_calls` serves under; a test module overrides it to set its own."""
    return monkeypatch


@pytest.fixture
def google_calls(serving_env):
    """Google served locally from fresh resolvers; yields every `ServedCall`, in order."""
    import chameleonapi
    from chameleonapi.serving import notices
    from chameleonapi.serving.calls import labels_resolver
    from chameleonapi.serving.notices import add_listener, remove_listener

    notices._said.clear()
    labels_resolver.reset()
    chameleonapi.enable(["google"])
    calls: list = []
    add_listener(calls.append)
    yield calls
    remove_listener(calls.append)
    chameleonapi.disable()
    labels_resolver.reset()
