"""What a saved model's files must satisfy, for every kind of model that saves itself.

A saved model is its weights (safetensors), its card (JSON) and, when ONNX export is
installed, its inference graph (`model.onnx`); the card names the graph and records the
sha256 of both files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chameleonapi.artifacts import sha256_file
from chameleonapi.atomic import atomic_write_bytes
from chameleonapi.errors import Error

__all__ = ["GRAPH", "CorruptModel", "read_graph", "sha256_of", "write_graph"]

GRAPH = "model.onnx"
sha256_of = sha256_file


class CorruptModel(Error, RuntimeError):
    """A saved model is incomplete or does not match its card's checksum."""


def write_graph(folder: Path, export) -> dict[str, Any]:
    """Write `export()`'s graph beside the weights; the card fields that name it (none when
    ONNX export is not installed: the graph is then exported when first served)."""
    from chameleonapi.model import graphs

    if not graphs.installed():
        return {}
    path = Path(folder) / GRAPH
    atomic_write_bytes(path, export())
    return {"graph": GRAPH, "graph_sha256": sha256_of(path)}


def read_graph(folder: Path, card: dict[str, Any], verify: bool = True):
    """The session of the graph the card names, or None when it names none or torch answers.

    Raises CorruptModel when the file is missing, fails the card's checksum or cannot be loaded.
    """
    from chameleonapi.model import graphs

    name = card.get("graph")
    if not name or graphs.runtime() != "onnx":
        return None
    if not isinstance(name, str) or "/" in name or name in (".", ".."):
        raise CorruptModel(f"{folder}: card names graph {name!r}")
    path = Path(folder) / name
    try:
        if verify and sha256_of(path) != card.get("graph_sha256"):
            raise CorruptModel(f"{path}: checksum does not match the card")
        return graphs.load(path)
    except (OSError, graphs.GraphError) as exc:
        raise CorruptModel(f"{path}: unreadable graph ({exc})") from exc
