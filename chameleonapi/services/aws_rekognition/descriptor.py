"""Amazon Rekognition `DetectLabels`, as the service documents it.

Confidences are percentages (0-100); `MinConfidence` defaults to 55 and `MaxLabels` to (and
at most) 1000. Label names capitalize every word ("Sports Car"). Images: JPEG or PNG, at
most 5 MB as bytes (S3 objects up to 15 MB), 80 to 10,000 pixels on each side.
"""

from __future__ import annotations

from chameleonapi.imaging.policy import MB, ServicePolicy
from chameleonapi.services.descriptor import ProviderDescriptor, capitalize_words

__all__ = ["DEFAULT_MIN_CONFIDENCE", "DESCRIPTOR", "LABEL_MODEL_VERSION", "MAX_LABELS", "POLICY", "SERVICE"]

SERVICE = "rekognition"  # botocore's service name
LABEL_MODEL_VERSION = "3.0"
MAX_LABELS = 1000  # the default and the upper limit of MaxLabels
DEFAULT_MIN_CONFIDENCE = 55.0

POLICY = ServicePolicy("aws", ("JPEG", "PNG"), max_bytes=5 * MB, min_side=80, max_side=10000)

DESCRIPTOR = ProviderDescriptor(
    name="aws",
    switch="aws",
    distribution="botocore",
    supported=("1.29", "2.0"),
    sdk_packages=("botocore",),
    methods=("detect_labels",),
    object_methods=(),
    operations=("DetectLabels",),
    label_field="Name",
    score_field="Confidence",
    score_scale=100.0,
    default_top_k=None,  # MaxLabels defaults to its limit, 1000: more labels than ever pass MinConfidence
    min_score=None,  # MinConfidence may be as low as 0
    default_threshold=DEFAULT_MIN_CONFIDENCE / 100.0,
    top_k_param="MaxLabels",
    threshold_param="MinConfidence",
    casing=capitalize_words,
    frame_prefixes=("boto3", "botocore", "s3transfer"),
    policy=POLICY,
    source_hints=("boto",),
    call_keywords=("Image",),
)
