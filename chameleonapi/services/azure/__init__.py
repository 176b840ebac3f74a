"""What the two Azure vision providers share (`codec`); neither SDK is imported here.

Not a provider itself: `azure_computervision` and `azure_imageanalysis` are, and both use
the "azure" switch (`CHAMELEONAPI_AZURE_ENABLED=0` turns both off).
"""
