"""What a provider is, in one typed value: names, fields, scales and limits of one SDK.

Modules that need a fact about a provider (the runtime's frame filter, the minimum score,
label casing, the default top-k, the image policy) read it from the provider's descriptor
instead of keeping their own copy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chameleonapi.imaging.policy import ServicePolicy

__all__ = ["ProviderDescriptor", "capitalize_words", "keep_case", "lower_case"]


def keep_case(label: str) -> str:
    """Labels as the model names them ("Tabby cat"): Google's habit."""
    return label


def lower_case(label: str) -> str:
    """Azure's habit ("tabby cat")."""
    return label.lower()


def capitalize_words(label: str) -> str:
    """Every word capitalized ("Tabby Cat"), the rest of each word untouched ("Jack-o'-lantern")."""
    return " ".join(word[:1].upper() + word[1:] for word in label.split(" "))


@dataclass(frozen=True)
class ProviderDescriptor:
    """One SDK as the rest of the package sees it."""

    name: str  # the provider name at run time, in specs and in CHAMELEONAPI_<NAME>_ENABLED
    distribution: str  # the PyPI distribution whose version is checked
    supported: tuple[str, str]  # [min, max) of that distribution's version
    methods: tuple[str, ...]  # the SDK methods the application calls (what the analysis finds)
    operations: tuple[str, ...]  # the service operations answered locally
    label_field: str  # where a label's text is in the response
    score_field: str  # where its score is
    score_scale: float  # score in the response = probability x score_scale
    default_top_k: int | None  # labels returned when the request sets no limit
    min_score: float  # probability below which the service reports nothing by default
    casing: Callable[[str], str]  # label text as the service prints it
    frame_prefixes: tuple[str, ...]  # module prefixes of SDK frames (never the application's)
    policy: ServicePolicy  # the images the service accepts

    def style(self, label: str) -> str:
        return self.casing(label)
