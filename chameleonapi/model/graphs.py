"""The inference runtime: ONNX Runtime graphs exported once from the torch models.

PyTorch trains; serving and photo features run the same computation as an ONNX graph
exported from the torch module (`torch.onnx.export`), which answers the same to float
rounding in about half the time of eager torch on CPU (`benchmarks/latency.py`). Graphs
shared by every application (the generic labeler, the photo feature trunk) live beside the
weights under `home()/weights/` with a sha256 sidecar: read only after checking it, moved
aside and exported again when missing or corrupt, written atomically. A customized model's
graph lives in its store entry, named by its card. A graph file has one session per process
(per thread setting), shared by every thread: ONNX Runtime sessions run concurrently.

`CHAMELEONAPI_RUNTIME=torch` serves with eager torch instead; `auto` (the default) uses
ONNX Runtime when it is installed (the `model` extra) and torch runs on the CPU.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import logging
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chameleonapi import config
from chameleonapi._version import __version__
from chameleonapi.errors import Error

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = [
    "OPSET", "Graph", "GraphError", "export", "fall_back", "graph_path", "installed", "load", "module_of", "runtime", "shared_graph",
    "threads",
]

OPSET = 17
FORMAT = 2  # 2: convolutions padded by constants (`model.backbone.static_padding`)
logger = logging.getLogger("chameleonapi")
_lock = threading.Lock()
_sessions: dict[tuple[str, int | None], Graph] = {}
_said: set[str] = set()


def _say_once(message: str, level: int = logging.WARNING) -> None:
    if message not in _said:
        _said.add(message)
        logger.log(level, message)


def installed() -> bool:
    """Can graphs be exported (`onnx`) and run (`onnxruntime`) here?"""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def runtime() -> str:
    """Which runtime answers: "onnx" or "torch" (`CHAMELEONAPI_RUNTIME`, see the module doc).

    `onnx` asked for but not installed, or a setting that cannot be read, is said once and
    torch answers: a call never fails for the choice of runtime.
    """
    from chameleonapi.errors import SettingsError

    try:
        choice = config.runtime()
    except SettingsError as exc:
        _say_once(f"{exc}; using the default runtime", logging.ERROR)
        choice = "auto"
    if choice == "torch":
        return "torch"
    if not installed():
        if choice == "onnx":
            _say_once("CHAMELEONAPI_RUNTIME=onnx but onnxruntime/onnx are not installed "
                      "(pip install 'chameleonapi[model]'); serving with torch")
        return "torch"
    if choice == "auto":
        try:
            on_gpu = config.device() != "cpu"
        except SettingsError:  # said where the device is used; the CPU answers meanwhile
            on_gpu = False
        if on_gpu:
            return "torch"  # a GPU: torch runs there, these graphs run on the CPU
    return "onnx"


def fall_back(what: str, exc: BaseException) -> str:
    """Say once that `what` cannot run on ONNX Runtime and why; returns "torch", which answers."""
    _say_once(f"ONNX Runtime cannot run the {what} ({type(exc).__name__}: {exc}); serving it with torch")
    return "torch"


def threads() -> int | None:
    """The intra-op thread setting (None: the runtime's default; a bad value is said once,
    for both runtimes)."""
    from chameleonapi.model.backbone import thread_setting

    return thread_setting()[1]


class GraphError(Error, RuntimeError):
    """ONNX Runtime cannot load a graph (not a graph, or one it does not support)."""


class Graph:
    """One ONNX Runtime session with one input and one output; calling it is thread-safe."""

    def __init__(self, session: Any, name: str) -> None:
        self.session = session
        self.name = name
        self.input = session.get_inputs()[0].name
        self.threads = session.get_session_options().intra_op_num_threads

    def __call__(self, array) -> np.ndarray:
        import numpy as np

        return self.session.run(None, {self.input: np.ascontiguousarray(array, dtype=np.float32)})[0]


def load(source: Path | bytes, name: str = "") -> Graph:
    """A session of the graph in `source` (a file or its bytes) under the thread setting.

    Intra-op threads follow `CHAMELEONAPI_THREADS` (0: ONNX Runtime's default, one per core);
    idle pool threads sleep instead of spinning, so several processes share the cores.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads() or 0
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    model = str(source) if isinstance(source, Path) else source
    try:
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's own errors derive from Exception only
        shown = name or (source if isinstance(source, (str, Path)) else f"{len(source)} bytes of graph")
        raise GraphError(f"{shown}: ONNX Runtime cannot load it ({exc})") from exc
    return Graph(session, name or (source.name if isinstance(source, Path) else "graph"))


def module_of(forward: Callable, *parts: Any):
    """A torch module whose forward is `forward(x)`; `parts` (the modules it calls) are
    registered so `eval()` reaches them. What `export` traces."""
    import torch

    class Traced(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.parts = torch.nn.ModuleList([p for p in parts if isinstance(p, torch.nn.Module)])

        def forward(self, x):
            return forward(x)

    return Traced().eval()


def export(module, example) -> bytes:
    """The ONNX graph of `module` traced on `example` (batch size free, other axes fixed)."""
    import torch

    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(), (example,), buffer, dynamo=False, opset_version=OPSET,
            input_names=["input"], output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        )
    return buffer.getvalue()


def graph_path(stem: str, **key: Any) -> Path:
    """Where a shared graph lives: beside the weights, named by what it was exported from."""
    import torch

    parts = {"library": __version__, "torch": torch.__version__.split("+")[0], "opset": OPSET, "format": FORMAT, **key}
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return config.home() / "weights" / f"{stem}.{digest}.onnx"


def _read_verified(path: Path) -> tuple[bytes | None, str | None]:
    """(bytes, None) when the file matches its sidecar checksum; (None, reason) when it is
    corrupt; (None, None) when there is nothing yet."""
    from chameleonapi.artifacts import read_kept

    return read_kept(path, lambda kept: (kept.read_bytes(), None))


def shared_graph(path: Path, build: Callable[[], bytes]) -> Graph:
    """The session of the shared graph at `path`, exported by `build()` when missing or corrupt.

    A corrupt file is moved aside and exported again; when the cache folder cannot be read
    or written the graph is kept in memory for the life of the process (`artifacts.kept`).
    """
    from chameleonapi import artifacts

    def store(target: Path, data: bytes) -> None:
        artifacts.keep_file(target, lambda tmp: tmp.write_bytes(data))

    built: list[bool] = []

    def export_now() -> bytes:
        built.append(True)
        return build()

    key = (str(path), threads())
    with _lock:
        if key in _sessions:
            return _sessions[key]
        data = artifacts.kept(path, _read_verified, export_now, store, {})
        try:
            graph = load(data, path.name)
        except GraphError as exc:  # a stored graph this ONNX Runtime rejects: export it again
            if built or not path.is_file():
                raise
            artifacts.move_aside(path, str(exc))
            data = build()
            store(path, data)
            graph = load(data, path.name)
        _sessions[key] = graph
        return graph
