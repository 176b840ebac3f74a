"""Every environment variable chameleonapi reads is a setting of `config.py` and a README row."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from chameleonapi import config

PACKAGE = Path(config.__file__).resolve().parent
README = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
ENV_NAME = re.compile(r"^CHAMELEONAPI(_[A-Z0-9_]+)?$")
# The interpreter start-up hook decides whether to load anything at all, before any import.
BOOTSTRAP = {PACKAGE / "_boot" / "sitecustomize.py"}


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "config.py")


def _environment_reads(tree: ast.AST) -> list[tuple[int, str]]:
    """`os.environ[...]`, `os.environ.get(...)`, `os.getenv(...)` with a CHAMELEONAPI name."""
    found = []
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            target = node.slice
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Attribute) and (
                (func.attr in ("get", "pop", "setdefault") and _is_environ(func.value)) or func.attr == "getenv"
            ):
                target = node.args[0]
        if target is None:
            continue
        text = ast.unparse(target)
        if "CHAMELEONAPI" in text:
            found.append((node.lineno, text))
    return found


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


@pytest.mark.parametrize("setting", list(config.SETTINGS.values()), ids=lambda s: s.key)
def test_every_setting_has_a_readme_row(setting):
    row = next((line for line in README.splitlines() if line.startswith("|") and f"`{setting.env}`" in line), None)
    assert row is not None, f"README's settings table lacks {setting.env}"
    assert f"(`{setting.key}`)" in row, f"README row of {setting.env} does not name the key {setting.key!r}"


def test_the_package_reads_the_environment_only_through_config():
    offenders = []
    for path in _sources():
        if path in BOOTSTRAP:
            continue
        for line, text in _environment_reads(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} reads {text}")
    assert not offenders, "read these through chameleonapi.config:\n" + "\n".join(offenders)


def test_every_variable_named_in_the_package_is_documented():
    names = set()
    for path in [*_sources(), PACKAGE / "config.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and ENV_NAME.match(node.value):
                names.add(node.value)
    names |= {setting.env for setting in config.SETTINGS.values()}
    missing = sorted(name for name in names if f"`{name}`" not in README)
    assert not missing, f"README does not document {missing}"
