"""Wildlife trail camera (Azure Computer Vision): route each confident sighting to a survey."""

import io

from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from azure.cognitiveservices.vision.computervision.models import VisualFeatureTypes
from msrest.authentication import CognitiveServicesCredentials

client = ComputerVisionClient("https://trailcam.cognitiveservices.azure.com/", CognitiveServicesCredentials("key"))


def survey(image_bytes):
    analysis = client.analyze_image_in_stream(io.BytesIO(image_bytes), visual_features=[VisualFeatureTypes.tags])
    tags = [t.name for t in analysis.tags if t.confidence >= 0.5]
    if "deer" in tags:
        return "deer count"
    if "bird" in tags:
        return "bird survey"
    if "frog" in tags:
        return "amphibian survey"
    return None
