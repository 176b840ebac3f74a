"""Text finder: tags become a {name: confidence} dict built by index."""
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

client = ComputerVisionClient("https://example.cognitiveservices.azure.com/", CognitiveServicesCredentials("key"))


def tag_dict(url):
    result = client.tag_image(url)
    names = []
    confidences = []
    for tag in result.tags:
        names.append(tag.name)
        confidences.append(tag.confidence)
    return {names[i]: confidences[i] for i in range(len(names))}


def has_text(url):
    tags = tag_dict(url)
    if "text" in tags:
        return True
    return False
