"""pytest plugin: run an application's own tests offline against the local model.

Inert until asked, in the manner of pytest-recording: `pytest --chameleonapi` (or
`chameleonapi = true` in the ini file) serves every test; the `chameleonapi` marker serves
one test; the `chameleonapi` fixture serves one test and shows what was served.

Tests are served without training: a first call answers from the generic model at once.
A test opts in to customization (analysis + training, minutes) with
`@pytest.mark.chameleonapi(train=True)`, or a whole run with `chameleonapi_train = true`
in the ini file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pytest

import chameleonapi
from chameleonapi import config as settings
from chameleonapi.runtime import ServedCall, add_listener, labels_resolver, object_resolver, remove_listener


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chameleonapi")
    group.addoption(
        "--chameleonapi",
        action="store_true",
        default=False,
        help="serve cloud vision SDK calls (Google, Azure) from chameleonapi's local model, offline",
    )
    parser.addini("chameleonapi", type="bool", default=False, help="same as --chameleonapi")
    parser.addini(
        "chameleonapi_train", type="bool", default=False,
        help="let a test's first call customize (analyse and train) its model; off: serve the generic model",
    )


def _session_wanted(config: pytest.Config) -> bool:
    return bool(config.getoption("chameleonapi") or config.getini("chameleonapi"))


# What the plugin keeps on the pytest config: the ini's training default, and the session's
# served state as one ExitStack (closed by pytest_unconfigure, whatever happened before).
TRAIN = pytest.StashKey[bool]()
SESSION = pytest.StashKey[contextlib.ExitStack]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "chameleonapi(providers=None, train=False): serve this test's vision SDK calls from the local "
        "model (train=True: customize it to the application first)",
    )
    settings.set_project(config.rootpath)  # the tested application's pyproject.toml
    config.stash[TRAIN] = bool(config.getini("chameleonapi_train"))
    if _session_wanted(config):
        _offline_env()
        # Entered one by one: a step that fails unwinds those before it, and nothing stays on.
        with _served(config.stash[TRAIN], providers=None) as stack:
            config.stash[SESSION] = stack.pop_all()


def pytest_unconfigure(config: pytest.Config) -> None:
    stack = config.stash.get(SESSION, None)
    if stack is not None:
        del config.stash[SESSION]
        stack.close()


@contextlib.contextmanager
def _served(train: bool, providers: Iterable[str] | str | None) -> Iterator[contextlib.ExitStack]:
    """The settings for served calls, then the patches; `pop_all()` the stack to keep them on."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(_training(train))
        stack.enter_context(chameleonapi.enabled(providers))
        yield stack


_last_mode: list[str] = []


def _training(train: bool):
    """Settings for served calls: train mode `never` (answer from the generic model at once)
    unless `train`. Call sites served under the other mode are forgotten, so they choose anew."""
    mode = "auto" if train else "never"
    if _last_mode and _last_mode[-1] != mode:
        labels_resolver.reset()
        object_resolver.reset()
    _last_mode[:] = [mode]
    return settings.override(train=mode)


def _offline_env() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("NO_GCE_CHECK", "true")


@dataclass
class Served:
    """What the local model served during one test."""

    calls: list[ServedCall] = field(default_factory=list)

    def __call__(self, call: ServedCall) -> None:
        self.calls.append(call)

    @property
    def images(self) -> int:
        return sum(call.n_images for call in self.calls)

    @property
    def labels(self) -> list[list[tuple[str, float]]]:
        """Score-ordered labels per served image, in call order, exactly as the SDK returned them
        (Google: "Cat"; Azure: "cat", and only the tags above Azure's confidence floor)."""
        return [_as_sdk_returned(call.provider, labels) for call in self.calls for labels in call.labels]

    @property
    def errors(self) -> list[str]:
        return [error for call in self.calls for error in call.errors if error]


def _as_sdk_returned(provider: str, labels: list[tuple[str, float]]) -> list[tuple[str, float]]:
    from chameleonapi import services

    floor = services.min_score(provider)
    return [(services.style(name, provider), score) for name, score in labels
            if floor is None or score >= floor]


def _serve(request: pytest.FixtureRequest, marker: pytest.Mark | None) -> Served:
    _offline_env()
    recorder = Served()
    kwargs = marker.kwargs if marker is not None else {}
    train = kwargs.get("train", request.config.stash.get(TRAIN, False))
    with contextlib.ExitStack() as stack:
        add_listener(recorder)
        stack.callback(remove_listener, recorder)
        stack.enter_context(_served(bool(train), kwargs.get("providers")))
        request.addfinalizer(stack.pop_all().close)
    return recorder


@pytest.fixture
def chameleonapi_served(request: pytest.FixtureRequest) -> Served:
    """Alias of the `chameleonapi` fixture for code that shadows the module name."""
    return _serve(request, request.node.get_closest_marker("chameleonapi"))


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
    _serve(request, marker)
    yield
