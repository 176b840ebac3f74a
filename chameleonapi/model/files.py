"""What a saved model's files must satisfy, for every kind of model that saves itself."""

from __future__ import annotations

from chameleonapi.artifacts import sha256_file

__all__ = ["CorruptModel", "sha256_of"]

sha256_of = sha256_file


class CorruptModel(RuntimeError):
    """A saved model is incomplete or does not match its card's checksum."""
