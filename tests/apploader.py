"""Load an application file as a fresh module, the way its own interpreter would run it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["load_app"]


def load_app(path: Path | str, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
