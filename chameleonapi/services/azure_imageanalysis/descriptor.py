"""Azure Image Analysis 4.0 (azure-ai-vision-imageanalysis), as documented.

Confidences are probabilities (0-1); no top-k, and no tag below about 0.1, as Computer
Vision. Tags are lower case. Images: JPEG, PNG, GIF, BMP, WEBP, ICO, TIFF, MPO; under
20 MB; 50x50 to 16000x16000 px.
"""

from __future__ import annotations

from chameleonapi.imaging.policy import MB, ServicePolicy
from chameleonapi.services.azure.descriptor import TAGGING
from chameleonapi.services.descriptor import ProviderDescriptor

__all__ = ["DESCRIPTOR", "POLICY"]

POLICY = ServicePolicy(
    "azure_ia",
    ("JPEG", "PNG", "GIF", "BMP", "WEBP", "ICO", "TIFF"),
    max_bytes=20 * MB,
    min_side=50,
    max_side=16000,
)

DESCRIPTOR = ProviderDescriptor(
    name="azure_ia",
    switch="azure",
    distribution="azure-ai-vision-imageanalysis",
    supported=("1.0", "2.0"),
    sdk_packages=("azure.ai.vision.imageanalysis",),
    methods=("analyze", "analyze_from_url"),
    object_methods=(),
    operations=("tags", "objects"),
    **TAGGING,
    frame_prefixes=("azure.",),
    policy=POLICY,
    source_hints=("imageanalysis",),
    call_keywords=("visual_features",),
)
