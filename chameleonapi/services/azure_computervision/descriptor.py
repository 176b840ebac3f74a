"""Azure Computer Vision v3.2 (azure-cognitiveservices-vision-computervision), as documented.

Confidences are probabilities (0-1); there is no top-k: the service reports every tag it
is reasonably sure of, never one below about 0.1. Tags are lower case ("tabby cat").
Images: JPEG, PNG, GIF, BMP; under 4 MB; 50x50 to 16000x16000 px.
"""

from __future__ import annotations

from chameleonapi.imaging.policy import MB, ServicePolicy
from chameleonapi.services.azure.descriptor import TAGGING
from chameleonapi.services.descriptor import ProviderDescriptor

__all__ = ["DESCRIPTOR", "POLICY"]

POLICY = ServicePolicy("azure_cv", ("JPEG", "PNG", "GIF", "BMP"), max_bytes=4 * MB, min_side=50, max_side=16000)

DESCRIPTOR = ProviderDescriptor(
    name="azure_cv",
    switch="azure",
    distribution="azure-cognitiveservices-vision-computervision",
    supported=("0.9", "1.0"),
    sdk_packages=("azure.cognitiveservices.vision.computervision",),
    methods=(
        "tag_image",
        "tag_image_in_stream",
        "analyze_image",
        "analyze_image_in_stream",
        "detect_objects",
        "detect_objects_in_stream",
    ),
    object_methods=("detect_objects", "detect_objects_in_stream"),
    operations=("tags", "categories", "objects"),
    **TAGGING,
    frame_prefixes=("azure.", "msrest"),
    policy=POLICY,
)
