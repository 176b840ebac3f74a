"""Google Cloud Vision `images:annotate`, as the service documents it.

Scores are probabilities (0-1, float32); `maxResults` defaults to 10 for labels and
objects. Label names are the model's own ("Tabby cat"). Images: JPEG, PNG, GIF (first
frame), BMP, WEBP, ICO, TIFF, RAW and PDF (no local decoder for the last two: they get
"Bad image data."); files over 20 MB are an error; images should not exceed 75M pixels.
"""

from __future__ import annotations

from chameleonapi.imaging.policy import MB, ServicePolicy
from chameleonapi.services.descriptor import ProviderDescriptor, keep_case

__all__ = ["DEFAULT_MAX_RESULTS", "DESCRIPTOR", "POLICY", "VERSIONS"]

VERSIONS = ("vision_v1", "vision_v1p1beta1", "vision_v1p2beta1", "vision_v1p3beta1", "vision_v1p4beta1")
DEFAULT_MAX_RESULTS = 10

POLICY = ServicePolicy(
    "google",
    ("JPEG", "PNG", "GIF", "BMP", "WEBP", "ICO", "TIFF"),
    max_bytes=20 * MB,
    max_pixels=75_000_000,
)

DESCRIPTOR = ProviderDescriptor(
    name="google",
    switch="google",
    distribution="google-cloud-vision",
    supported=("3.0", "4.0"),
    sdk_packages=("google.cloud.vision", *(f"google.cloud.{v}" for v in VERSIONS)),
    methods=("label_detection", "annotate_image", "batch_annotate_images", "object_localization"),
    object_methods=("object_localization",),
    operations=("LABEL_DETECTION", "OBJECT_LOCALIZATION"),
    label_field="description",
    score_field="score",
    score_scale=1.0,
    default_top_k=DEFAULT_MAX_RESULTS,
    min_score=None,
    default_threshold=None,
    top_k_param="max_results",
    threshold_param=None,
    casing=keep_case,
    frame_prefixes=("google.cloud", "google.api_core", "google.auth", "grpc", "proto"),
    policy=POLICY,
)
