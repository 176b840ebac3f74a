"""The package as pip sees it: licence, metadata, typed marker, extras, no torch for analysis."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import chameleonapi

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(chameleonapi.__file__).parent

# Run a command in a child interpreter where torch, timm and torchvision cannot be imported.
WITHOUT_TORCH = textwrap.dedent(
    """
    import sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("torch", "timm", "torchvision"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    sys.meta_path.insert(0, Block())
    import importlib.util
    real_find_spec = importlib.util.find_spec
    importlib.util.find_spec = lambda name, *a: None if name.split(".")[0] in ("torch", "timm") else real_find_spec(name, *a)
    from chameleonapi.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_license_and_typed_marker_ship():
    assert "Apache License" in (ROOT / "LICENSE").read_text() and "Version 2.0" in (ROOT / "LICENSE").read_text()
    assert (PACKAGE / "py.typed").is_file()
    project = pyproject()["project"]
    assert project["license"] == "Apache-2.0" and "LICENSE" in project["license-files"]
    assert (ROOT / "CHANGELOG.md").is_file()


def test_core_install_needs_no_torch_and_analysis_extra_is_astroid_only():
    project = pyproject()["project"]
    heavy = ("torch", "timm", "torchvision", "astroid")
    assert not [d for d in project["dependencies"] if d.split(">")[0].split("[")[0].strip() in heavy]
    assert [d.split(">")[0] for d in project["optional-dependencies"]["analysis"]] == ["astroid"]
    model = {d.split(">")[0] for d in project["optional-dependencies"]["model"]}
    assert {"torch", "timm"} <= model


def test_analysis_works_without_torch_and_training_names_the_extra(tmp_path):
    app = PACKAGE / "examples" / "pet_door.py"
    env = {**os.environ, "CHAMELEONAPI_HOME": str(tmp_path)}
    run = [sys.executable, "-c", WITHOUT_TORCH]
    analyzed = subprocess.run([*run, "analyze", str(app), "--json"], capture_output=True, text=True, env=env,
                              timeout=120)
    assert analyzed.returncode == 0, analyzed.stderr
    assert '"kind": "true_false"' in analyzed.stdout
    trained = subprocess.run([*run, "train", str(app), "--budget", "tiny"], capture_output=True, text=True,
                             env=env, timeout=120)
    assert trained.returncode == 2
    assert "pip install 'chameleonapi[model]'" in trained.stderr and "Traceback" not in trained.stderr
