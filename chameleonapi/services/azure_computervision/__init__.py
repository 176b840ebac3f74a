"""Azure Computer Vision v3.2 through azure-cognitiveservices-vision-computervision.

Tags, categories and objects answered by the local model. Fixed roles: `descriptor` (what
the provider is), `codec` (request → image; tags, categories and objects → the SDK's
msrest models; errors → its `ComputerVisionErrorResponseException`), `patch` (the client
methods wrapped). Importing this package imports no Azure SDK.
"""

from chameleonapi.services.azure_computervision.descriptor import DESCRIPTOR

__all__ = ["DESCRIPTOR"]
