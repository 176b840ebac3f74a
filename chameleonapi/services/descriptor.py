"""What a provider is, in one typed value: names, fields, scales and limits of one SDK.

Modules that need a fact about a provider (the analysis' method table, the runtime's frame
filter, the minimum score, label casing, the default top-k, the image policy) read it from
the provider's descriptor through the registry (`chameleonapi.services`) instead of keeping
their own copy. A descriptor module imports no SDK, so the registry is cheap to load.
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
    """One cloud vision service, as the rest of the package sees it.

    `name` is the provider's identity everywhere (specs, served calls, the registry);
    `switch` names the instrumentor that patches it and its `CHAMELEONAPI_<SWITCH>_ENABLED`
    toggle — several services of one vendor may share a switch (both Azure SDKs are "azure").
    """

    name: str  # the service: "google", "azure_cv", "azure_ia", "aws"
    switch: str  # the instrumentor and env toggle that covers it
    distribution: str  # the PyPI distribution whose version is checked
    supported: tuple[str, str]  # [min, max) of that distribution's version
    sdk_packages: tuple[str, ...]  # import names whose import enables chameleonapi (bootstrap)
    methods: tuple[str, ...]  # the SDK methods an application calls (what the analysis finds)
    object_methods: tuple[str, ...]  # those of `methods` that answer with objects (boxes)
    operations: tuple[str, ...]  # the service operations answered locally
    label_field: str  # where a label's text is in the response
    score_field: str  # where its score is
    score_scale: float  # score in the response = probability x score_scale
    default_top_k: int | None  # labels returned when the request sets no limit (None: no cut that matters)
    min_score: float | None  # probability below which the service never reports a label (None: no floor)
    default_threshold: float | None  # the request's own cut when it sets none (probability)
    top_k_param: str | None  # the request field that sets top-k
    threshold_param: str | None  # the request field that sets the minimum score (on `score_scale`)
    casing: Callable[[str], str]  # label text as the service prints it
    frame_prefixes: tuple[str, ...]  # module prefixes of SDK frames (never the application's)
    policy: ServicePolicy  # the images the service accepts
    # A call by method name counts only when its module mentions one of these, or the call
    # passes one of `call_keywords` (method names such as `analyze` are common words).
    source_hints: tuple[str, ...] = ()
    call_keywords: tuple[str, ...] = ()

    def style(self, label: str) -> str:
        """`label` as this service prints it."""
        return self.casing(label)
