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
import logging
import math
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chameleonapi.logs  # noqa: F401 - every chameleonapi log line is one line (a filter)
from chameleonapi.errors import SettingsError

__all__ = [
    "BUDGETS", "DETECTOR_BUDGETS", "SETTINGS", "TRAIN_MODES", "Setting", "SettingsError", "allow_local_files", "allow_network",
    "budget", "detector_budget", "data_source", "decode_max_bytes", "device", "fetch_max_bytes", "fetch_timeout", "get", "home",
    "local_files_root", "override", "passthrough", "progress", "project_file", "provider_enabled",
    "resolve", "set_project", "source_of", "torch_threads", "train_mode", "validate",
    "allow_outside_data", "allow_private_network", "lock_wait", "lock_stale", "analysis_max_bytes",
    "generic_only", "forget_validation", "store_url", "lease_seconds", "store_poll", "ray_address",
]

logger = logging.getLogger("chameleonapi")
MAX_THREADS = 256  # more intra-op threads than this exhaust memory before they help

_FALSE = {"", "0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on"}
TRAIN_MODES = ("auto", "never", "background")
BUDGETS = ("default", "small", "tiny", "finetune", "finetune_ce")  # the presets of chameleonapi.training.pipeline.BUDGETS
DETECTOR_BUDGETS = ("default", "tiny")  # the presets of chameleonapi.detection.train.BUDGETS
DEVICES = ("auto", "cpu", "cuda")
RUNTIMES = ("auto", "onnx", "torch")


@dataclass(frozen=True)
class Setting:
    """One setting: its key in pyproject.toml, its environment variable, default and parser."""

    key: str
    default: Any
    parse: Callable[[Any], Any]
    help: str = ""
    # checked where it is used, not at enable(): a customization, whose failure is said once
    # while the generic model answers (the data folder may appear after start-up)
    at_use: bool = False

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
    if number > MAX_THREADS:
        raise ValueError(f"must be at most {MAX_THREADS}")
    return number or None


def _number(value: Any, what: str) -> float:
    """A finite number: "nan", "inf" and text are errors, never "unbounded" or "off"."""
    if isinstance(value, bool):
        raise ValueError(f"must be {what}")
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError(f"must be {what}") from None
    if not math.isfinite(number):
        raise ValueError(f"must be {what} (a finite number)")
    return number


def _seconds(low: float, high: float, zero: str | None = None) -> Callable[[Any], float]:
    """Seconds in (low, high]; with `zero` set, 0 is also accepted and means `zero`."""
    what = "a number of seconds" + (f" (0: {zero})" if zero else "")

    def parse(value: Any) -> float:
        number = _number(value, what)
        if zero and number == 0:
            return 0.0
        if number <= low:
            raise ValueError(f"must be more than {low:g}" + (f" (or 0: {zero})" if zero else ""))
        if number > high:
            raise ValueError(f"must be at most {high:g}")
        return number

    return parse


def _whole(high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("must be a whole number")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError("must be a whole number") from None
        if number <= 0:
            raise ValueError("must be more than 0")
        if number > high:
            raise ValueError(f"must be at most {high:,}")
        return number

    return parse


def _home(value: Any) -> Path:
    text = str(value).strip()
    if not text:
        raise ValueError("must be a folder path")
    return Path(text).expanduser()


def _optional_folder(value: Any) -> Path | None:
    text = "" if value is None else str(value).strip()
    return Path(text).expanduser() if text else None


def _store(value: Any) -> str | None:
    """A store URL (`s3://bucket/prefix`, `gs://`, `az://`, `file://`), or None: the local cache only."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    scheme, sep, rest = text.partition("://")
    if not sep or not scheme.isascii() or not scheme.replace("-", "").isalnum() or not rest.strip("/"):
        raise ValueError("must be a URL such as s3://bucket/prefix, gs://bucket/prefix, az://container/prefix "
                         "or file:///shared/folder")
    if scheme in ("http", "https"):
        raise ValueError("must name an object store (s3://, gs://, az://, file://), not a web address")
    return text.rstrip("/")


def _ray(value: Any) -> str | None:
    """Where photo features are computed: None (this process), `local` or a Ray address."""
    text = str(value).strip() if value is not None else ""
    if text.lower() in _FALSE:
        return None
    return "local" if text.lower() in _TRUE else text


def _label_map(value: Any) -> str | None:
    """`rain=Rain,misc=`: checked here, read by `chameleonapi.training.names.parse_map`."""
    text = "" if value is None else str(value).strip()
    for item in text.split(","):
        name, sep, _ = item.partition("=")
        if item.strip() and (not sep or not name.strip()):
            raise ValueError(f"entries are NAME=LABEL (NAME= for none of the app's labels), got {item.strip()!r}")
    return text or None


def _optional_bool(value: Any) -> bool | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        return None
    return _bool(value)


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("data", None, _data, "data for customization: builtin, an image folder or a CSV", at_use=True),
        Setting("device", "auto", _choice(DEVICES), "torch device for training and inference: auto, cpu, cuda"),
        Setting("budget", "default", _choice(BUDGETS), "training budget preset"),
        Setting("label_map", None, _label_map,
                "photo label names mapped to the app's labels, NAME=LABEL,... (NAME= for none of them)"),
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
        Setting("fetch_timeout", "10", _seconds(0, 3600), "seconds to wait for an image URL"),
        Setting("fetch_max_bytes", str(20 * 1024 * 1024), _whole(1 << 30), "largest image fetched from a URL"),
        Setting("allow_private_network", False, _bool,
                "may image URLs name private, loopback or link-local addresses"),
        Setting("allow_local_files", False, _bool, "may image URIs name local files (paths, file://)"),
        Setting("local_root", None, _optional_folder, "when set, local image files are read only under it"),
        Setting("decode_max_mb", "256", _whole(16384), "largest raster (MB) decoded at full size"),
        Setting("analysis_budget", "1", _seconds(0, 3600, zero="unbounded"),
                "CPU seconds one analysis may take (0: unbounded)"),
        Setting("analysis_max_kb", "512", _whole(1 << 20), "largest module (KB) the analysis reads"),
        Setting("allow_outside_data", False, _bool,
                "may training data name files outside its folder (CSV paths, symbolic links)"),
        Setting("lock_wait", "60", _seconds(0, 86400),
                "seconds a first call waits for another process building the same model"),
        Setting("lock_stale", "120", _seconds(0, 86400),
                "seconds without a heartbeat after which another process's lock is broken"),
        Setting("store", None, _store,
                "shared model store URL (s3://, gs://, az://, file://); unset: the local cache only"),
        Setting("lease", "120", _seconds(0, 86400),
                "seconds a trainer's lease on a shared store lasts without a heartbeat"),
        Setting("store_poll", "5", _seconds(0, 3600),
                "seconds between checks for a model another process is training for the shared store"),
        Setting("ray", None, _ray,
                "compute photo features as a Ray job: local, or a cluster address (unset: in this process)"),
    )
}

# ------------------------------------------------------------------ sources
_lock = threading.RLock()
_overrides: list[dict[str, Any]] = []
_project_anchor: Path | None = None
_toml_cache: dict[Path, tuple[tuple[int, int], dict[str, Any]]] = {}
_project_files: dict[tuple, Path | None] = {}
# The values `validate()` accepted (at `enable()`): what a call uses when a setting turns bad later.
_validated: dict[str, Any] = {}
_generic_only = False  # set when start-up found a bad setting: serve the generic model only
_said: set[str] = set()


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
    _warn_unknown_keys(path, table)
    return table


def _warn_unknown_keys(path: Path, table: dict[str, Any]) -> None:
    """A misspelt key would silently be ignored: say which key was probably meant."""
    import difflib

    for key in table:
        if key in SETTINGS:
            continue
        close = difflib.get_close_matches(key, list(SETTINGS), n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(SETTINGS)}"
        logger.warning("%s [tool.chameleonapi]: unknown key %r is ignored; %s", path, key[:80], hint)


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
    """The parsed value of setting `key`; `value` (a keyword) wins when not None.

    A bad value raises `SettingsError`, except once `validate()` has accepted the settings
    (at `enable()`): then the value validated at start-up is kept and the error is logged
    once, so a setting changed under a running application never raises into its calls.
    """
    try:
        return _parse(key, value)
    except SettingsError as error:
        kept = _validated
        if key in kept:
            _say_once(f"{error}; keeping the value checked at start-up")
            return kept[key]
        raise


def _parse(key: str, value: Any = None) -> Any:
    """The parsed value of `key`, or `SettingsError` (never the value kept from start-up)."""
    setting = SETTINGS[key]
    raw, where = (value, "keyword") if value is not None else _raw(key)
    if raw is None:
        return None
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise SettingsError(f"{where}={_shown(raw)}: {setting.key} {exc}") from None


def _shown(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _say_once(message: str) -> None:
    with _lock:
        if message in _said:
            return
        _said.add(message)
    logger.error("%s", message)


def validate(*, strict: bool = True) -> dict[str, Any]:
    """Parse every setting once, with its bounds (what `enable()` does before patching).

    `strict`: the first bad value raises `SettingsError`. Otherwise (start-up through
    `CHAMELEONAPI=1`, where raising would leave the application talking to the real service)
    every bad value is logged as an error, replaced by its default, and only the generic
    model is served (`generic_only()`). The accepted values are what later calls fall back
    to if a setting turns bad while the application runs.
    """
    global _generic_only, _validated
    good: dict[str, Any] = {}
    bad: list[str] = []
    for key, setting in SETTINGS.items():
        try:
            good[key] = _parse(key)
        except SettingsError as exc:
            if setting.at_use:
                continue
            if strict:
                raise
            bad.append(str(exc))
            good[key] = setting.parse(setting.default) if setting.default is not None else None
    with _lock:
        _validated = good  # one rebinding: a call reading it meanwhile sees the old or the new
        if bad:
            _generic_only = True
    for message in bad:
        _say_once(f"{message}; the default is used and only the generic model is served")
        with _lock:  # said: calls that read it again keep the default without saying it twice
            _said.add(f"{message}; keeping the value checked at start-up")
    return good


def forget_validation() -> None:
    """Drop what `validate()` accepted (after `disable()`)."""
    global _generic_only, _validated
    with _lock:
        _validated = {}
        _generic_only = False


def generic_only() -> bool:
    """Did start-up find a bad setting? Then nothing is customized: the generic model answers."""
    return _generic_only


def resolve(**values: Any) -> dict[str, Any]:
    """Every setting parsed at once (the CLI calls this first, so bad values stop it early)."""
    with override(**values):
        return {key: _parse(key) for key in SETTINGS}


# ------------------------------------------------------------------ the getters others call
def provider_enabled(provider: str) -> bool:
    """Per-integration switch, `CHAMELEONAPI_<PROVIDER>_ENABLED` (ddtrace style): on unless
    set to 0/false/no/off."""
    value = os.environ.get(f"CHAMELEONAPI_{provider.upper()}_ENABLED")
    return value is None or value.strip().lower() not in _FALSE


def home(value: str | os.PathLike | None = None) -> Path:
    """Cache folder for converted weights, features and customized models."""
    explicit = get("home", value)
    if explicit is not None:
        return explicit
    import platformdirs

    return Path(platformdirs.user_cache_dir("chameleonapi"))


def train_mode(value: str | None = None) -> str:
    """What the first call of an application does: auto (train now), never, background
    (`never` whenever start-up found a bad setting: the generic model answers)."""
    mode = get("train", value)
    return "never" if _generic_only and value is None else mode


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


def allow_private_network(value: bool | None = None) -> bool:
    """May image URLs name private, loopback or link-local addresses? Off: no request forgery."""
    return get("allow_private_network", value)


def allow_outside_data(value: bool | None = None) -> bool:
    """May training data name files outside its folder? Off: they are skipped with a warning."""
    return get("allow_outside_data", value)


def lock_wait(value: float | None = None) -> float:
    """Seconds a first call waits for another process building the same artifact."""
    return get("lock_wait", value)


def lock_stale(value: float | None = None) -> float:
    """Seconds without a heartbeat after which a lock's holder is taken for stuck or gone."""
    return get("lock_stale", value)


def store_url(value: str | None = None) -> str | None:
    """The shared model store's URL (`CHAMELEONAPI_STORE`), or None."""
    return get("store", value)


def lease_seconds(value: float | None = None) -> float:
    """How long a trainer's lease on the shared store lasts without a heartbeat."""
    return get("lease", value)


def store_poll(value: float | None = None) -> float:
    """Seconds between checks for a model being trained elsewhere."""
    return get("store_poll", value)


def ray_address(value: str | None = None) -> str | None:
    """Where photo features are computed as a Ray job (`local` or an address), or None."""
    return get("ray", value)


def analysis_max_bytes(value: int | None = None) -> int:
    """Largest module the analysis reads and parses (`CHAMELEONAPI_ANALYSIS_MAX_KB`)."""
    return get("analysis_max_kb", value) * 1024
