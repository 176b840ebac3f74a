"""One conformance suite, generated from the provider registry, run for every provider.

Every registered provider (`chameleonapi.services.names()`) is checked through its real SDK
client, offline and with no cloud credentials: patched whether its SDK is imported before or
after `enable()`; a second `enable()` adds no second wrapper; `disable()` puts back the very
same callables; an SDK version outside the supported range is left unpatched with one
message; a call submitted to a `concurrent.futures` executor is attributed to the code that
submitted it; pass-through sends what is not served to the real SDK; unusable image bytes
get the SDK's own error. The SDK-specific calls are in `drivers.py`.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import chameleonapi
from chameleonapi import patches, runtime, services
from chameleonapi.patches import base
from tests.images import CORRUPT
from tests.providers.drivers import DRIVERS, bootstrap_packages

NAMES = services.names()
CHELSEA = (Path(__file__).resolve().parents[2] / "chameleonapi" / "examples" / "images" / "chelsea.jpg").read_bytes()
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("CHAMELEONAPI_", "AWS_"))}
ENV.update(CHAMELEONAPI_HOME=os.environ["CHAMELEONAPI_HOME"], CHAMELEONAPI_THREADS="1")


@pytest.fixture(params=NAMES)
def provider(request, monkeypatch, tmp_path) -> services.ProviderDescriptor:
    """One registered provider; no cloud credentials of any kind are found."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name == "GOOGLE_APPLICATION_CREDENTIALS":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("CHAMELEONAPI_PASSTHROUGH", raising=False)
    return services.descriptor(request.param)


@pytest.fixture
def served(provider):
    """`provider` enabled; yields the list of calls the runtime served meanwhile."""
    calls: list[runtime.ServedCall] = []
    chameleonapi.enable([provider.switch])
    runtime.add_listener(calls.append)
    yield calls
    runtime.remove_listener(calls.append)
    chameleonapi.disable()


def patch_points(provider) -> list[tuple[str, str, object, str]]:
    """(module, qualname, owner class, attribute) of each patch of `provider`, its SDK imported."""
    points = []
    for patch in patches.get_instrumentor(provider.switch).patches_of(provider):
        owner = importlib.import_module(patch.module)
        path, _, attr = patch.qualname.rpartition(".")
        for part in path.split("."):
            owner = getattr(owner, part)
        points.append((patch.module, patch.qualname, owner, attr))
    return points


def test_every_registered_provider_has_a_driver_and_a_complete_descriptor():
    assert set(DRIVERS) == set(NAMES)
    for d in services.descriptors():
        assert services.descriptor(d.name) is d and d in services.for_switch(d.switch)
        assert d.methods and set(d.object_methods) <= set(d.methods)
        assert d.score_scale > 0 and set(d.frame_prefixes) <= set(services.frame_prefixes())
        assert d.style(d.style("Tabby cat")) == d.style("Tabby cat")  # casing is idempotent


def test_the_bootstrap_watches_exactly_the_sdk_packages_of_the_registry():
    assert set(bootstrap_packages()) == {p for d in services.descriptors() for p in d.sdk_packages}


def test_patches_lie_below_the_providers_own_sdk_packages(provider):
    for patch in patches.get_instrumentor(provider.switch).patches_of(provider):
        assert patch.module.startswith(tuple(p + "." for p in provider.sdk_packages)), patch.module
        assert patch.module.startswith(provider.frame_prefixes), patch.module


def test_sdk_imported_before_enable_is_patched_and_disable_restores_the_same_callables(provider):
    points = patch_points(provider)  # the SDK is imported first
    originals = {(o, a): vars(o)[a] for _, _, o, a in points}
    instrumentor = patches.get_instrumentor(provider.switch)
    try:
        chameleonapi.enable([provider.switch])
        chameleonapi.enable([provider.switch])  # harmless: still one wrapper
        instrumentor.instrument()
        for module, qualname, owner, attr in points:
            wrapper = vars(owner)[attr]
            assert wrapper is not originals[(owner, attr)] and instrumentor.is_patched(module, qualname)
            assert wrapper.__wrapped__ is originals[(owner, attr)]  # one layer, not two
    finally:
        chameleonapi.disable()
        chameleonapi.disable()  # idempotent
    for module, qualname, owner, attr in points:
        assert vars(owner)[attr] is originals[(owner, attr)]
        assert not instrumentor.is_patched(module, qualname)


def test_sdk_imported_after_enable_is_patched_on_import(provider):
    code = f"""
        import importlib, json, sys
        import chameleonapi
        from chameleonapi import patches, services
        d = services.descriptor({provider.name!r})
        assert not any(m == p or m.startswith(p + ".") for m in sys.modules for p in d.sdk_packages)
        chameleonapi.enable([d.switch])
        instrumentor = patches.get_instrumentor(d.switch)
        points = [(p.module, p.qualname) for p in instrumentor.patches_of(d)]
        for module, _ in points:
            importlib.import_module(module)
        print(json.dumps([instrumentor.is_patched(*point) for point in points]))
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=ENV, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    patched = json.loads(result.stdout)
    assert patched and all(patched)


def test_an_sdk_version_outside_the_supported_range_is_left_alone_with_one_message(provider, monkeypatch, caplog):
    real = base.installed_version
    monkeypatch.setattr(
        base, "installed_version", lambda dist: "0.0.1" if dist == provider.distribution else real(dist)
    )
    points = patch_points(provider)
    originals = {(o, a): vars(o)[a] for _, _, o, a in points}
    others = [d for d in services.for_switch(provider.switch) if d is not provider]
    caplog.set_level(logging.WARNING, logger="chameleonapi")
    try:
        chameleonapi.enable([provider.switch])
        for _, _, owner, attr in points:
            assert vars(owner)[attr] is originals[(owner, attr)]
        for other in others:  # the services sharing its switch are still served
            assert all(vars(o)[a] is not vars(o)[a].__wrapped__ for _, _, o, a in patch_points(other))
    finally:
        chameleonapi.disable()
    messages = [r.getMessage() for r in caplog.records if "supported range" in r.getMessage()]
    assert len(messages) == 1
    assert provider.distribution in messages[0] and "0.0.1" in messages[0] and "not patched" in messages[0]


def test_serves_chelsea_in_the_providers_casing_and_score_scale(provider, served):
    driver = DRIVERS[provider.name]
    call, args, kwargs = driver.request(driver.client(), CHELSEA)
    labels = driver.labels(call(*args, **kwargs))
    names = [name for name, _ in labels]
    assert provider.style("Cat") in names
    assert names == [provider.style(name) for name in names]
    scores = [score for _, score in labels]
    assert scores == sorted(scores, reverse=True) and 0 <= scores[-1] <= scores[0] <= provider.score_scale
    assert [(c.provider, c.n_images) for c in served] == [(provider.name, 1)]


def test_executor_submitted_calls_are_attributed_to_the_submitting_code(provider, served):
    driver = DRIVERS[provider.name]
    call, args, kwargs = driver.request(driver.client(), CHELSEA)

    def app_function():
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(call, *args, **kwargs).result()  # the SDK's own method, run by the pool

    app_function()
    (site,) = {c.call_site for c in served}
    assert (site.file, site.function) == (__file__, "app_function")
    assert site.line == app_function.__code__.co_firstlineno + 2


def test_unusable_image_bytes_get_the_sdks_own_error(provider, served):
    driver = DRIVERS[provider.name]
    client = driver.client()
    error = driver.bad_image(client, CORRUPT)
    assert isinstance(error, driver.error_type(client)) and not isinstance(error, chameleonapi.Error)
    assert not type(error).__module__.startswith("chameleonapi")
    if isinstance(error, BaseException):
        assert error.__cause__ is None and error.__suppress_context__  # no chameleonapi error in the chain
    assert served and served[-1].errors and served[-1].errors[0]


def test_what_is_not_served_names_pass_through_and_goes_to_the_sdk_with_it(provider, served, monkeypatch):
    driver = DRIVERS[provider.name]
    refusal = driver.unserved(driver.client())
    assert "CHAMELEONAPI_PASSTHROUGH" in driver.refusal_text(refusal) and not isinstance(refusal, chameleonapi.Error)
    monkeypatch.setenv("CHAMELEONAPI_PASSTHROUGH", "1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # the real service needs the user's credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(driver.unreachable()):  # the original ran and found nobody at the endpoint
        outcome = driver.unserved(driver.client())
        raise outcome if isinstance(outcome, BaseException) else AssertionError(f"answered locally: {outcome}")
