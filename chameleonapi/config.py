"""Settings read from the environment, with one rule everywhere: keyword > env > default."""

from __future__ import annotations

import os
from pathlib import Path

_FALSE = {"", "0", "false", "no", "off"}
TRAIN_MODES = ("auto", "never", "background")


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
        raise ValueError(f"{name} must be an integer, got {value!r}") from None


def master_switch() -> bool:
    """`CHAMELEONAPI=1` turns interception on at interpreter start."""
    return env_flag("CHAMELEONAPI")


def provider_enabled(provider: str, default: bool = True) -> bool:
    """Per-integration switch, `CHAMELEONAPI_<PROVIDER>_ENABLED` (ddtrace style)."""
    return env_flag(f"CHAMELEONAPI_{provider.upper()}_ENABLED", default)


def home() -> Path:
    """Cache folder for converted weights, features and customized models."""
    explicit = os.environ.get("CHAMELEONAPI_HOME")
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("chameleonapi"))


def train_mode() -> str:
    """What the first call of an application does: auto (train now), never, background."""
    mode = os.environ.get("CHAMELEONAPI_TRAIN", "auto").strip().lower() or "auto"
    if mode not in TRAIN_MODES:
        raise ValueError(f"CHAMELEONAPI_TRAIN must be one of {TRAIN_MODES}, got {mode!r}")
    return mode


def allow_network() -> bool:
    """May the local service fetch http(s) image URLs? Off by default."""
    return env_flag("CHAMELEONAPI_ALLOW_NETWORK")


def passthrough() -> bool:
    """Send requests the local model cannot serve to the real cloud service."""
    return env_flag("CHAMELEONAPI_PASSTHROUGH")


def torch_threads() -> int | None:
    """Intra-op threads for the local model (None keeps torch's default)."""
    return env_int("CHAMELEONAPI_THREADS", None)


def fetch_timeout() -> float:
    return float(os.environ.get("CHAMELEONAPI_FETCH_TIMEOUT", "10"))


def fetch_max_bytes() -> int:
    return env_int("CHAMELEONAPI_FETCH_MAX_BYTES", 20 * 1024 * 1024) or 20 * 1024 * 1024


def data_source() -> str:
    """Data used to customize models: `builtin` or a path (image folder or CSV)."""
    return os.environ.get("CHAMELEONAPI_DATA", "builtin").strip() or "builtin"


def budget() -> str:
    """Training budget preset used by first-call customization (`default`, `small`, `tiny`)."""
    return os.environ.get("CHAMELEONAPI_BUDGET", "default").strip() or "default"


def progress() -> bool:
    """Show progress bars for long work started by a first call (training, features)."""
    return env_flag("CHAMELEONAPI_PROGRESS", True)


def allow_local_files() -> bool:
    """May image URIs name local files (paths, file://)? Off by default: the services read none."""
    return env_flag("CHAMELEONAPI_ALLOW_LOCAL_FILES")


def local_files_root() -> Path | None:
    """When set, local image files are read only under this folder."""
    value = os.environ.get("CHAMELEONAPI_LOCAL_ROOT", "").strip()
    return Path(value).expanduser() if value else None


def decode_max_bytes() -> int:
    """Largest raster (MB, `CHAMELEONAPI_DECODE_MAX_MB`) decoded at full size; beyond it, the size error."""
    megabytes = env_int("CHAMELEONAPI_DECODE_MAX_MB", 256) or 256
    if megabytes <= 0:
        raise ValueError(f"CHAMELEONAPI_DECODE_MAX_MB must be a positive integer, got {megabytes}")
    return megabytes * 1024 * 1024
