"""Settings: one path for every entry point, validated in one place.

Each setting is read, in order of precedence, from
1. a keyword or command-line flag (`override(...)`, or the function's `value=` argument),
2. the environment (`CHAMELEONAPI_<NAME>`),
3. `[tool.chameleonapi]` in the application's `pyproject.toml` (found from the
   application's main file upward, or from the working directory),
4. the default.
A bad value raises `SettingsError` naming the setting and where it came from. The getters
(`data_source()`, `budget()`, ...) keep their names; all of them read through `get()`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "BUDGETS", "DETECTOR_BUDGETS", "SETTINGS", "TRAIN_MODES", "Setting", "SettingsError", "allow_local_files", "allow_network",
    "budget", "data_setting", "detector_budget", "data_source", "decode_max_bytes", "device", "env_flag", "env_int", "fetch_max_bytes", "fetch_timeout", "get", "home",
    "local_files_root", "master_switch", "override", "passthrough", "progress", "project_file", "provider_enabled",
    "resolve", "set_project", "source_of", "torch_threads", "train_mode",
]

_FALSE = {"", "0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on"}
TRAIN_MODES = ("auto", "never", "background")
BUDGETS = ("default", "small", "tiny")  # the presets of chameleonapi.training.trainer.BUDGETS
DETECTOR_BUDGETS = ("default", "tiny")  # the presets of chameleonapi.detection.train.BUDGETS
DEVICES = ("auto", "cpu", "cuda")
RUNTIMES = ("auto", "onnx", "torch")


class SettingsError(ValueError):
    """A setting has a value chameleonapi cannot use; the message names the setting."""


@dataclass(frozen=True)
class Setting:
    """One setting: its key in pyproject.toml, its environment variable, default and parser."""

    key: str
    default: Any
    parse: Callable[[Any], Any]
    help: str = ""

    @property
    def env(self) -> str:
        return f"CHAMELEONAPI_{self.key.upper()}"


# ------------------------------------------------------------------ parsers (raise ValueError)
def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("must be true or false (1/0, yes/no, on/off)")


def _choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return text

    return parse


def _data(value: Any) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError("must be 'builtin', an image folder or a .csv file")
    if text == "builtin":
        return text
    path = Path(text).expanduser()
    if not path.exists():
        raise ValueError(f"{text} does not exist (expected 'builtin', an image folder or a .csv file)")
    if path.is_file() and path.suffix.lower() not in (".csv", ".tsv"):
        raise ValueError(f"{text} is a file but not a .csv/.tsv file (expected an image folder or a CSV)")
    return str(path)


def _threads(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError("must be a whole number (1 or more; 0 keeps torch's own default)") from None
    if number < 0:
        raise ValueError("must be 0 or more (0 keeps torch's own default)")
    return number or None


def _positive_float(value: Any) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError("must be a number of seconds") from None
    if number <= 0:
        raise ValueError("must be more than 0")
    return number


def _seconds_or_zero(value: Any) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError("must be a number of seconds (0: unbounded)") from None
    if number < 0:
        raise ValueError("must be 0 or more (0: unbounded)")
    return number


def _positive_int(value: Any) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError("must be a whole number") from None
    if number <= 0:
        raise ValueError("must be more than 0")
    return number


def _home(value: Any) -> Path:
    text = str(value).strip()
    if not text:
        raise ValueError("must be a folder path")
    return Path(text).expanduser()


def _optional_folder(value: Any) -> Path | None:
    text = "" if value is None else str(value).strip()
    return Path(text).expanduser() if text else None


def _optional_bool(value: Any) -> bool | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        return None
    return _bool(value)


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("data", None, _data, "data for customization: builtin, an image folder or a CSV"),
        Setting("device", "auto", _choice(DEVICES), "torch device for training and inference: auto, cpu, cuda"),
        Setting("budget", "default", _choice(BUDGETS), "training budget preset"),
        Setting("detector_budget", "default", _choice(DETECTOR_BUDGETS), "object detector training budget preset"),
        Setting("train", "auto", _choice(TRAIN_MODES), "what a first call does: auto, never, background"),
        Setting("threads", "1", _threads,
                "intra-op threads per process for the local model, torch and ONNX Runtime alike (0: their default)"),
        Setting("runtime", "auto", _choice(RUNTIMES),
                "inference runtime of served models and photo features: auto (onnx when installed), onnx, torch"),
        Setting("home", None, _home, "cache folder for weights, features and models"),
        Setting("progress", None, _optional_bool, "progress bars (default: only on a terminal)"),
        Setting("allow_network", False, _bool, "may image URLs be fetched over http(s)"),
        Setting("passthrough", False, _bool, "send requests the local model cannot serve to the cloud"),
        Setting("fetch_timeout", "10", _positive_float, "seconds to wait for an image URL"),
        Setting("fetch_max_bytes", str(20 * 1024 * 1024), _positive_int, "largest image fetched from a URL"),
        Setting("allow_local_files", False, _bool, "may image URIs name local files (paths, file://)"),
        Setting("local_root", None, _optional_folder, "when set, local image files are read only under it"),
        Setting("decode_max_mb", "256", _positive_int, "largest raster (MB) decoded at full size"),
        Setting("analysis_budget", "1", _seconds_or_zero, "CPU seconds one analysis may take (0: unbounded)"),
    )
}

# ------------------------------------------------------------------ sources
_lock = threading.RLock()
_overrides: list[dict[str, Any]] = []
_project_anchor: Path | None = None
_toml_cache: dict[Path, tuple[tuple[int, int], dict[str, Any]]] = {}
_project_files: dict[tuple, Path | None] = {}


@contextlib.contextmanager
def override(**values: Any) -> Iterator[None]:
    """Keyword/flag values for the duration of the block (None values are ignored)."""
    given = {k: v for k, v in values.items() if v is not None}
    unknown = [k for k in given if k not in SETTINGS]
    if unknown:
        raise SettingsError(f"unknown setting(s) {unknown}; known: {', '.join(SETTINGS)}")
    with _lock:
        _overrides.append(given)
    try:
        yield
    finally:
        with _lock:
            _overrides.remove(given)


def set_project(path: str | os.PathLike | None) -> Path | None:
    """Look for `pyproject.toml` from `path` upward (None: the running program's main file).

    Returns the previous anchor, so a caller can put it back.
    """
    global _project_anchor
    _project_files.clear()
    previous = _project_anchor
    _project_anchor = Path(path).resolve() if path is not None else None
    return previous


def _anchor() -> Path:
    if _project_anchor is not None:
        return _project_anchor
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    # The program's own file; not a tool's (pytest, a console script) inside the environment.
    if main and os.path.exists(main) and not os.path.abspath(main).startswith(sys.prefix + os.sep):
        return Path(main).resolve()
    return Path.cwd()


def project_file() -> Path | None:
    """The nearest `pyproject.toml` with a `[tool.chameleonapi]` table, if any.

    Looked up once per anchor (settings are read on every request); `set_project()` looks again.
    """
    key = (_project_anchor, getattr(sys.modules.get("__main__"), "__file__", None), os.getcwd())
    if key in _project_files:
        return _project_files[key]
    start = _anchor()
    folder = start if start.is_dir() else start.parent
    found = None
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file() and _read_toml(path):
            found = path
            break
    _project_files[key] = found
    return found


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        stat = path.stat()
        mtime = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        return {}
    cached = _toml_cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with open(path, "rb") as fh:
            table = tomllib.load(fh).get("tool", {}).get("chameleonapi", {})
    except (OSError, ValueError) as exc:
        raise SettingsError(f"{path}: cannot read [tool.chameleonapi]: {exc}") from None
    table = {str(k).replace("-", "_"): v for k, v in table.items()} if isinstance(table, dict) else {}
    _toml_cache[path] = (mtime, table)
    return table


def _raw(key: str) -> tuple[Any, str]:
    """(value, where it came from) for one setting, before parsing."""
    with _lock:
        for layer in reversed(_overrides):
            if key in layer:
                return layer[key], f"--{key.replace('_', '-')}"
    setting = SETTINGS[key]
    if setting.env in os.environ:
        return os.environ[setting.env], setting.env
    path = project_file()
    if path is not None:
        table = _read_toml(path)
        if key in table:
            return table[key], f"{key} in {path} [tool.chameleonapi]"
    return setting.default, "default"


def source_of(key: str) -> str:
    """Where the value of `key` comes from: a flag, a variable, pyproject.toml or the default."""
    return _raw(key)[1]


def get(key: str, value: Any = None) -> Any:
    """The parsed value of setting `key`; `value` (a keyword) wins when not None."""
    setting = SETTINGS[key]
    raw, where = (value, "keyword") if value is not None else _raw(key)
    if raw is None:
        return None
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise SettingsError(f"{where}={raw!r}: {setting.key} {exc}") from None


def resolve(**values: Any) -> dict[str, Any]:
    """Every setting parsed at once (the CLI calls this first, so bad values stop it early)."""
    with override(**values):
        return {key: get(key) for key in SETTINGS}


# ------------------------------------------------------------------ the getters others call
def env_flag(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1/true/yes/on" vs "0/false/no/off")."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() not in _FALSE


def env_int(name: str, default: int | None) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name}={value!r}: must be a whole number") from None


def master_switch() -> bool:
    """`CHAMELEONAPI=1` turns interception on at interpreter start (environment only)."""
    return env_flag("CHAMELEONAPI")


def provider_enabled(provider: str, default: bool = True) -> bool:
    """Per-integration switch, `CHAMELEONAPI_<PROVIDER>_ENABLED` (ddtrace style)."""
    return env_flag(f"CHAMELEONAPI_{provider.upper()}_ENABLED", default)


def home(value: str | os.PathLike | None = None) -> Path:
    """Cache folder for converted weights, features and customized models."""
    explicit = get("home", value)
    if explicit is not None:
        return explicit
    import platformdirs

    return Path(platformdirs.user_cache_dir("chameleonapi"))


def train_mode(value: str | None = None) -> str:
    """What the first call of an application does: auto (train now), never, background."""
    return get("train", value)


def allow_network(value: bool | None = None) -> bool:
    """May the local service fetch http(s) image URLs? Off by default."""
    return get("allow_network", value)


def passthrough(value: bool | None = None) -> bool:
    """Send requests the local model cannot serve to the real cloud service."""
    return get("passthrough", value)


def torch_threads(value: int | None = None) -> int | None:
    """Intra-op threads for the local model: 1 unless configured (None keeps torch's default).

    One thread per process keeps several serving processes on one machine from
    oversubscribing its cores (see benchmarks/threads.py).
    """
    return get("threads", value)


def runtime(value: str | None = None) -> str:
    """The configured inference runtime (`CHAMELEONAPI_RUNTIME=auto|onnx|torch`); which one
    answers is `chameleonapi.model.graphs.runtime()` (onnx only when ONNX Runtime is installed)."""
    return get("runtime", value)


def fetch_timeout(value: float | None = None) -> float:
    return get("fetch_timeout", value)


def fetch_max_bytes(value: int | None = None) -> int:
    return get("fetch_max_bytes", value)


def data_source(value: str | None = None) -> str | None:
    """Data used to customize models: `builtin`, a path (image folder or CSV), or None when
    none is configured (a real application is then served the generic labeler)."""
    return get("data", value)


def data_setting() -> str | None:
    """The configured customization data, or None (the built-in silhouettes only when chosen)."""
    return data_source()


def device(value: str | None = None) -> str:
    """Torch device for training and inference (`CHAMELEONAPI_DEVICE=auto|cpu|cuda`).

    `auto` picks CUDA when torch sees a GPU and the CPU otherwise; `cuda` without a GPU falls
    back to the CPU (results are the same, only slower).
    """
    choice = get("device", value)
    if choice == "cpu":
        return "cpu"
    try:
        import torch
    except ImportError:  # an install without the model extra: nothing runs on a device
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def budget(value: str | None = None) -> str:
    """Training budget preset used by customization (`default`, `small`, `tiny`)."""
    return get("budget", value)


def detector_budget(value: str | None = None) -> str:
    """Training budget preset of the object detectors (`default`, or `tiny` for tests and smoke runs)."""
    return get("detector_budget", value)


def progress(value: bool | None = None) -> bool:
    """Show progress bars? Set explicitly, or only when stderr is a terminal (never in pipes/CI)."""
    chosen = get("progress", value)
    if chosen is not None:
        return chosen
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


def allow_local_files(value: bool | None = None) -> bool:
    """May image URIs name local files (paths, file://)? Off by default: the services read none."""
    return get("allow_local_files", value)


def local_files_root(value: str | None = None) -> Path | None:
    """When set, local image files are read only under this folder."""
    return get("local_root", value)


def decode_max_bytes(value: int | None = None) -> int:
    """Largest raster (`CHAMELEONAPI_DECODE_MAX_MB`) decoded at full size; beyond it, the size error."""
    return get("decode_max_mb", value) * 1024 * 1024
