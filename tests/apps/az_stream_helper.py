"""Azure tag_image_in_stream in a helper that returns the tags; the caller decides."""
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

ENDPOINT = "https://example.cognitiveservices.azure.com/"
WILD = ["bear", "wolf", "deer"]


def fetch_tags(stream):
    client = ComputerVisionClient(ENDPOINT, CognitiveServicesCredentials("k"))
    return client.tag_image_in_stream(stream).tags


def wildlife(stream):
    tags = fetch_tags(stream)
    names = [t.name for t in tags if t.confidence >= 0.8]
    for animal in WILD:
        if animal in names:
            return animal
    return None
