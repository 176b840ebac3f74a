"""pytest plugin: run an application's own tests offline against the local model.

Inert until asked, in the manner of pytest-recording: `pytest --chameleonapi` (or
`chameleonapi = true` in the ini file) serves every test; the `chameleonapi` marker serves
one test; the `chameleonapi` fixture serves one test and shows what was served.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

import chameleonapi
from chameleonapi import runtime


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chameleonapi")
    group.addoption(
        "--chameleonapi",
        action="store_true",
        default=False,
        help="serve cloud vision SDK calls (Google, Azure) from chameleonapi's local model, offline",
    )
    parser.addini("chameleonapi", type="bool", default=False, help="same as --chameleonapi")


def _session_wanted(config: pytest.Config) -> bool:
    return bool(config.getoption("chameleonapi") or config.getini("chameleonapi"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "chameleonapi(providers=None): serve this test's vision SDK calls from the local model"
    )
    if _session_wanted(config):
        _offline_env()
        chameleonapi.enable()
        config._chameleonapi_session = True  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    if getattr(config, "_chameleonapi_session", False):
        chameleonapi.disable()


def _offline_env() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("NO_GCE_CHECK", "true")


@dataclass
class Served:
    """What the local model served during one test."""

    calls: list[runtime.ServedCall] = field(default_factory=list)

    def __call__(self, call: runtime.ServedCall) -> None:
        self.calls.append(call)

    @property
    def images(self) -> int:
        return sum(call.n_images for call in self.calls)

    @property
    def labels(self) -> list[list[tuple[str, float]]]:
        """Score-ordered labels per served image, in call order."""
        return [labels for call in self.calls for labels in call.labels]

    @property
    def errors(self) -> list[str]:
        return [error for call in self.calls for error in call.errors if error]


def _serve(request: pytest.FixtureRequest, providers=None):
    _offline_env()
    recorder = Served()
    runtime.add_listener(recorder)
    context = chameleonapi.enabled(providers)
    context.__enter__()

    def finish() -> None:
        context.__exit__(None, None, None)
        runtime.remove_listener(recorder)

    request.addfinalizer(finish)
    return recorder


@pytest.fixture
def chameleonapi_served(request: pytest.FixtureRequest) -> Served:
    """Alias of the `chameleonapi` fixture for code that shadows the module name."""
    marker = request.node.get_closest_marker("chameleonapi")
    providers = marker.kwargs.get("providers") if marker else None
    return _serve(request, providers)


@pytest.fixture(name="chameleonapi")
def chameleonapi_fixture(chameleonapi_served: Served) -> Served:
    """Serve this test's SDK calls locally; the value records calls, images and labels."""
    return chameleonapi_served


@pytest.fixture(autouse=True)
def _chameleonapi_marker(request: pytest.FixtureRequest):
    marker = request.node.get_closest_marker("chameleonapi")
    if marker is None or "chameleonapi" in request.fixturenames or "chameleonapi_served" in request.fixturenames:
        yield
        return
    _serve(request, marker.kwargs.get("providers"))
    yield
