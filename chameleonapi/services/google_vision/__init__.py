"""Google Cloud Vision through google-cloud-vision: labels and objects answered by the local model.

Fixed roles: `descriptor` (what the provider is), `codec` (request → images, labels and
objects → the SDK's proto-plus messages and per-image errors), `patch` (where the client
classes are hooked). Importing this package imports no Google SDK.
"""

from chameleonapi.services.google_vision.descriptor import DESCRIPTOR

__all__ = ["DESCRIPTOR"]
