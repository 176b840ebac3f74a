"""Errors a user can fix, shared by the library and the command line.

The command line prints these as one line on stderr (exit code 2), never a traceback.
"""

from __future__ import annotations

from chameleonapi.config import SettingsError

__all__ = ["DataError", "MissingExtra", "SettingsError", "require"]


class DataError(ValueError):
    """Training or evaluation data that cannot be used as given (empty, too small, unreadable)."""


class MissingExtra(ImportError):
    """An optional part of chameleonapi is not installed; the message names the pip extra."""


# module -> extra that installs it
_EXTRAS = {"torch": "model", "timm": "model", "safetensors": "model", "astroid": "analysis", "boto3": "s3",
           "fsspec": "gcs", "gcsfs": "gcs", "adlfs": "az", "ray": "ray"}
_WHAT = {"model": "the local model (serving, training, evaluation)", "analysis": "the analysis of an application",
         "s3": "a shared model store on S3", "gcs": "a shared model store through fsspec",
         "az": "a shared model store on Azure", "ray": "computing photo features on Ray"}


def require(*modules: str) -> None:
    """Raise `MissingExtra` naming the extra to install if a module cannot be imported."""
    import importlib.util

    for module in modules:
        if importlib.util.find_spec(module) is None:
            extra = _EXTRAS.get(module, "all")
            raise MissingExtra(
                f"{_WHAT.get(extra, 'this feature')} needs {module}, which is not installed; "
                f"install it with: pip install 'chameleonapi[{extra}]'",
                name=module,
            )
