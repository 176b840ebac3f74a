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


DEVICES = ("auto", "cpu", "cuda")


def device() -> str:
    """Torch device for training and inference: `CHAMELEONAPI_DEVICE=auto|cpu|cuda`.

    `auto` (the default) picks CUDA when torch sees a GPU and the CPU otherwise; `cuda`
    without a GPU falls back to the CPU (results are the same, only slower).
    """
    choice = os.environ.get("CHAMELEONAPI_DEVICE", "auto").strip().lower() or "auto"
    if choice not in DEVICES:
        raise ValueError(f"CHAMELEONAPI_DEVICE must be one of {DEVICES}, got {choice!r}")
    if choice == "cpu":
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def data_setting() -> str | None:
    """`CHAMELEONAPI_DATA` as the user set it, or None: customization then needs no data
    source by default (the built-in silhouettes only when chosen: `builtin`)."""
    value = os.environ.get("CHAMELEONAPI_DATA", "").strip()
    return value or None
