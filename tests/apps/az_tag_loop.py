"""Azure Computer Vision tag_image: a pet check with a confidence threshold."""
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

client = ComputerVisionClient("https://example.cognitiveservices.azure.com/", CognitiveServicesCredentials("key"))
PETS = ["cat", "dog", "kitten", "puppy"]


def is_pet(url):
    result = client.tag_image(url)
    for tag in result.tags:
        if tag.name in PETS and tag.confidence > 0.5:
            return True
    return False
