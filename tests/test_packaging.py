"""The package as pip sees it: licence, metadata, typed marker, extras, no torch for analysis;
`pip install .`, `pip install -e .` and the built wheel each bring the console script, the
pytest plugin and the `CHAMELEONAPI=1` start-up toggle (built offline, into throw-away venvs)."""

from __future__ import annotations

import configparser
import os
import shutil
import site
import subprocess
import sys
import textwrap
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import chameleonapi
from tests.venvs import make_venv, run_in

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


def setup_cfg() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "setup.cfg", encoding="utf-8")
    return parser


def lines(value: str) -> list[str]:
    return [line.strip() for line in value.strip().splitlines() if line.strip()]


def names(requirements: list[str]) -> list[str]:
    return [r.split(">")[0].split("<")[0].split("[")[0].split(";")[0].strip() for r in requirements]


def test_license_and_typed_marker_ship():
    assert "Apache License" in (ROOT / "LICENSE").read_text() and "Version 2.0" in (ROOT / "LICENSE").read_text()
    assert (PACKAGE / "py.typed").is_file()
    metadata = setup_cfg()["metadata"]
    assert metadata["license_expression"] == "Apache-2.0" and "LICENSE" in lines(metadata["license_files"])
    assert "py.typed" in lines(setup_cfg()["options.package_data"]["chameleonapi"])
    assert (ROOT / "CHANGELOG.md").is_file()


def test_setup_cfg_is_the_one_metadata_source():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "project" not in pyproject  # a [project] table would take precedence over setup.cfg
    assert pyproject["build-system"]["build-backend"] == "setuptools.build_meta"
    assert {"ruff", "pytest"} <= set(pyproject["tool"])


def test_core_install_needs_no_torch_and_analysis_extra_is_astroid_only():
    cfg = setup_cfg()
    heavy = ("torch", "timm", "torchvision", "astroid")
    assert not set(names(lines(cfg["options"]["install_requires"]))) & set(heavy)
    extras = cfg["options.extras_require"]
    assert names(lines(extras["analysis"])) == ["astroid"]
    assert {"torch", "timm"} <= set(names(lines(extras["model"])))


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


# --- installs: each brings the console script, the pytest plugin and the .pth toggle --------

PTH = "chameleonapi-bootstrap.pth"
SOURCES = ("setup.py", "setup.cfg", "pyproject.toml", "README.md", "LICENSE", "chameleonapi")


def _pip(python: Path | str, *args: str, cwd: Path) -> None:
    """pip offline: no index, no build isolation (setuptools is a dev dependency). Run by the
    throw-away venv's interpreter, so it installs there and never touches this environment."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    done = subprocess.run([str(python), "-m", "pip", *args, "--no-deps", "--no-index", "--no-build-isolation"],
                          cwd=cwd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A copy of the project's sources: builds write build/ and *.egg-info beside setup.py."""
    copy = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, copy / name)
    return copy


@pytest.fixture(scope="module")
def wheel(source, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _pip(sys.executable, "wheel", "--quiet", "-w", str(out), ".", cwd=source)
    (built,) = out.glob("chameleonapi-*.whl")
    return built


def test_the_wheel_holds_the_pth_the_entry_points_and_setup_cfg_metadata(wheel):
    with zipfile.ZipFile(wheel) as zipped:
        names_in = zipped.namelist()
        dist_info = next(n.split("/")[0] for n in names_in if n.endswith(".dist-info/METADATA"))
        entry_points = zipped.read(f"{dist_info}/entry_points.txt").decode()
        metadata = Parser().parsestr(zipped.read(f"{dist_info}/METADATA").decode())
    assert PTH in names_in and "chameleonapi/py.typed" in names_in
    assert "chameleonapi/examples/pet_door.py" in names_in
    points = configparser.ConfigParser()
    points.read_string(entry_points)
    assert points["console_scripts"]["chameleonapi"] == "chameleonapi.cli:main"
    assert points["pytest11"]["chameleonapi"] == "chameleonapi.pytest_plugin"
    cfg = setup_cfg()
    assert metadata["Summary"] == cfg["metadata"]["description"]
    assert set(metadata.get_all("Provides-Extra")) == set(cfg["options.extras_require"])


def _installed_here() -> list[str]:
    """This interpreter's chameleonapi installs: their metadata files and the .pth beside them."""
    found = [str(p) for folder in site.getsitepackages() for p in Path(folder).glob("*chameleonapi*")]
    return sorted(found)


CHECK = textwrap.dedent(
    """
    import json, subprocess, sys
    from importlib.metadata import distribution
    import chameleonapi
    dist = distribution("chameleonapi")
    plugin = next(ep for ep in dist.entry_points if ep.group == "pytest11").load()
    booted = sys.modules.get("chameleonapi.bootstrap")
    wanted = "--pytest" in sys.argv
    help = subprocess.run([sys.executable, "-m", "pytest", "--help"], capture_output=True, text=True).stdout if wanted else ""
    print(json.dumps({"package": chameleonapi.__file__, "plugin": plugin.__file__,
                      "bootstrap": booted and booted.__file__, "option": "--chameleonapi" in help}))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["pip install .", "pip install -e .", "wheel"])
def test_each_install_has_the_console_script_the_plugin_and_the_start_up_toggle(how, source, wheel, tmp_path):
    import json

    # The venv sees this interpreter's packages (wrapt, pytest...) after its own site-packages,
    # so the install under test is the chameleonapi it finds.
    python, purelib = make_venv(tmp_path / "venv", site.getsitepackages())
    target = {"pip install .": ["."], "pip install -e .": ["-e", "."], "wheel": [str(wheel)]}[how]
    ours = _installed_here()
    _pip(python, "install", "--quiet", "--ignore-installed", *target, cwd=source)
    assert _installed_here() == ours  # this environment's own chameleonapi is untouched
    home = source if how == "pip install -e ." else purelib

    assert (purelib / PTH).is_file()
    script = tmp_path / "venv" / "bin" / "chameleonapi"
    assert script.read_text().startswith(f"#!{python}")
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                             env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, timeout=120)
    assert version.returncode == 0 and version.stdout.strip() == f"chameleonapi {chameleonapi.__version__}"

    off = json.loads(run_in(python, CHECK, "--pytest").stdout)
    assert Path(off["package"]).is_relative_to(home) and Path(off["plugin"]).is_relative_to(home)
    assert off["option"] and off["bootstrap"] is None
    on = run_in(python, CHECK, CHAMELEONAPI="1")
    assert on.returncode == 0, on.stderr
    assert Path(json.loads(on.stdout)["bootstrap"]).is_relative_to(home)
    assert json.loads(run_in(python, CHECK, CHAMELEONAPI="0").stdout)["bootstrap"] is None
