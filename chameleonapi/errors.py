"""The root of chameleonapi's own errors, and those shared by several layers.

Every exception class the library defines derives from `Error` (and from the builtin that
describes it, so `except ValueError` still works): `except chameleonapi.Error` catches
whatever chameleonapi itself raises. What an intercepted SDK call raises is never one of
these: each provider answers with its SDK's own exception types. This module imports
nothing of the library, so every layer may import it. The command line prints these as one
line on stderr (exit code 2), never a traceback.
"""

from __future__ import annotations

__all__ = ["DataError", "Error", "MissingExtra", "ServiceError", "SettingsError", "WeightsNotFound", "require"]


class Error(Exception):
    """Any error chameleonapi itself raises."""


class SettingsError(Error, ValueError):
    """A setting has a value chameleonapi cannot use; the message names the setting."""


class DataError(Error, ValueError):
    """Training or evaluation data that cannot be used as given (empty, too small, unreadable)."""


class MissingExtra(Error, ImportError):
    """An optional part of chameleonapi is not installed; the message names the pip extra."""


class WeightsNotFound(Error, RuntimeError):
    """The offline package that ships a model's pretrained weights is not installed."""


class ServiceError(Error):
    """What the cloud service would answer with an HTTP error (status, code, message).

    Never reaches the application: the provider that raised it answers with its SDK's own
    exception, built in one place per provider. `refused`: a request the local model does
    not serve, which goes to the real service when pass-through is allowed.
    """

    def __init__(self, code: str, message: str, status: int = 400, inner_code: str = "",
                 refused: bool = False) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
        self.inner_code, self.refused = inner_code, refused


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
