"""What both Azure services' patches ask the local models: ranked tags, detected objects, errors recorded.

Serving is imported on the first call, not with the patches: registering them needs no model.
"""

from __future__ import annotations

from collections.abc import Sequence

from chameleonapi.errors import ServiceError
from chameleonapi.services.azure.codec import LocalImage
from chameleonapi.services.descriptor import ProviderDescriptor

__all__ = ["detect", "rank_tags", "record_error"]


def rank_tags(images: Sequence[LocalImage], provider: ProviderDescriptor, method: str) -> list[list[tuple[str, float]]]:
    """Per image, (tag in the provider's casing, confidence) in score order, above its floor."""
    from chameleonapi import runtime

    floor = provider.min_score or 0.0
    ranked = runtime.serve_labels([i.image for i in images], provider=provider.name, method=method, max_results=None,
                                  min_score=floor)
    return [[(provider.style(label), float(score)) for label, score in labels if score >= floor] for labels in ranked]


def record_error(provider: ProviderDescriptor, method: str, error: ServiceError) -> None:
    from chameleonapi import runtime

    runtime.record_errors(provider.name, method, [error.message])


def detect(images: Sequence[LocalImage], provider: ProviderDescriptor, method: str) -> list[list]:
    """Detected objects per image; a missing generic detector is the service's ModelNotReady."""
    from chameleonapi import runtime
    from chameleonapi.detection.policy import DetectorUnavailable

    try:
        return runtime.serve_objects([i.image for i in images], provider=provider.name, method=method)
    except DetectorUnavailable as exc:
        raise ServiceError("ServiceUnavailable", f"Object detection: {exc}", 503, "ModelNotReady") from None
