"""`except chameleonapi.Error` catches every error the library defines, found by walking the
package, so a class added later is covered without editing this test."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import chameleonapi
from chameleonapi import config, errors
from tests.test_import_graph import ENV

# Run in a fresh process: importing every module has side effects (the bootstrap installs its
# import hook) that must not reach the tests that follow.
WALK = r"""
import importlib, inspect, json, pkgutil
import chameleonapi
found = {}
for info in pkgutil.walk_packages(chameleonapi.__path__, "chameleonapi."):
    if info.name.endswith("__main__") or ".examples" in info.name:
        continue
    try:
        module = importlib.import_module(info.name)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] == "chameleonapi":
            raise
        continue  # an optional dependency that is not installed
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
            found[f"{cls.__module__}.{cls.__qualname__}"] = issubclass(cls, chameleonapi.Error)
print(json.dumps(found))
"""


def library_exceptions() -> dict[str, bool]:
    """Every exception class defined in a chameleonapi module (by qualified name): is it a
    `chameleonapi.Error`? Modules whose optional dependency is not installed are passed over."""
    result = subprocess.run([sys.executable, "-c", WALK], capture_output=True, text=True, env=ENV, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_library_error_is_a_chameleonapi_error():
    found = library_exceptions()
    names = {name.rpartition(".")[2] for name in found}
    assert {"WeightsNotFound", "CorruptModel", "BuiltinDataMissing", "DetectorUnavailable", "StoreUnwritable",
            "ImageInputError", "SettingsError", "ServiceError", "LockTimeout", "TrainingElsewhere"} <= names
    outside = sorted(name for name, derived in found.items() if not derived)
    assert not outside, f"not derived from chameleonapi.Error: {outside}"


def test_one_except_clause_catches_them_and_their_builtin_bases_still_hold():
    from chameleonapi.artifacts import StoreUnwritable
    from chameleonapi.imaging.errors import ImageInputError

    for error, builtin in [(errors.SettingsError("CHAMELEONAPI_THREADS='x'"), ValueError),
                           (ImageInputError(ImageInputError.BAD_DATA, "Bad image data."), ValueError),
                           (StoreUnwritable("read-only"), OSError),
                           (errors.MissingExtra("needs torch", name="torch"), ImportError),
                           (errors.WeightsNotFound("not installed"), RuntimeError)]:
        with pytest.raises(chameleonapi.Error):
            raise error
        assert isinstance(error, builtin)
    assert chameleonapi.SettingsError is errors.SettingsError and config.SettingsError is errors.SettingsError


def test_a_settings_error_raised_by_enable_is_caught_as_chameleonapi_error(monkeypatch):
    chameleonapi.disable()
    monkeypatch.setenv("CHAMELEONAPI_THREADS", "many")
    with pytest.raises(chameleonapi.Error, match="CHAMELEONAPI_THREADS"):
        chameleonapi.enable()
    assert not chameleonapi.is_enabled()
