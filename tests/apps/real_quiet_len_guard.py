"""Returns the tag names; the length test only guards an empty answer."""
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

client = ComputerVisionClient("https://example.cognitiveservices.azure.com/", CognitiveServicesCredentials("key"))


def tag_names(stream):
    result = client.tag_image_in_stream(stream)
    if len(result.tags) == 0:
        return []
    return [tag.name for tag in result.tags]
