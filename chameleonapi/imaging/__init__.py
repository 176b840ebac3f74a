"""Untrusted image input, handled the way the cloud services would handle it.

`policy` (the shape of what a service accepts; each provider's descriptor holds its own),
`decode` (bytes → small RGB image, bounded memory), `uri` (local files and downloads, off
unless allowed), `fit` (bounded preprocessing).
"""

from chameleonapi.imaging.decode import DecodedImage, decode_image
from chameleonapi.imaging.errors import ImageInputError
from chameleonapi.imaging.fit import center_window
from chameleonapi.imaging.policy import ServicePolicy
from chameleonapi.imaging.uri import read_uri

__all__ = [
    "DecodedImage",
    "ImageInputError",
    "ServicePolicy",
    "center_window",
    "decode_image",
    "read_uri",
]
