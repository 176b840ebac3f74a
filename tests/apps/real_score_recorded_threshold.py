"""Plant check: each tag's confidence is recorded first and compared with a threshold later."""
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

client = ComputerVisionClient("https://example.cognitiveservices.azure.com/", CognitiveServicesCredentials("key"))

THRESHOLD = 0.6


def check(stream):
    analysis = client.analyze_image_in_stream(stream, visual_features=["Tags"])
    cotton = 0.0
    plant = 0.0
    for tag in analysis.tags:
        if tag.name == "cotton":
            cotton = tag.confidence
        elif tag.name in ["plant", "leaf"]:
            plant = max(plant, tag.confidence)
    return cotton > THRESHOLD, plant > THRESHOLD
