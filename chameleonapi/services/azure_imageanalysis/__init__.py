"""Azure Image Analysis 4.0 through azure-ai-vision-imageanalysis, sync and `.aio`.

Tags and objects answered by the local model. Fixed roles: `descriptor` (what the provider
is), `codec` (request → image; tags and objects → `ImageAnalysisResult`; errors →
azure-core's `HttpResponseError`), `patch` (the client methods wrapped). Importing this
package imports no Azure SDK.
"""

from chameleonapi.services.azure_imageanalysis.descriptor import DESCRIPTOR

__all__ = ["DESCRIPTOR"]
