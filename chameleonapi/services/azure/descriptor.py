"""What both Azure vision services share in how they report tags.

Confidences are probabilities (0-1); there is no top-k and no request threshold: the
service reports every tag it is reasonably sure of, never one below about 0.1. Tags are
lower case ("tabby cat").
"""

from __future__ import annotations

from typing import Any

from chameleonapi.services.descriptor import lower_case

__all__ = ["TAGGING"]

TAGGING: dict[str, Any] = {
    "label_field": "name",
    "score_field": "confidence",
    "score_scale": 1.0,
    "default_top_k": None,
    "min_score": 0.1,
    "default_threshold": None,
    "top_k_param": None,
    "threshold_param": None,
    "casing": lower_case,
}
