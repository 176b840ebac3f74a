"""Zoo signage (Azure): show the sign of the first exhibit present, in priority order."""

from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from azure.cognitiveservices.vision.computervision.models import VisualFeatureTypes
from msrest.authentication import CognitiveServicesCredentials

client = ComputerVisionClient("https://zoo.cognitiveservices.azure.com/", CognitiveServicesCredentials("key"))


def sign(image_url):
    analysis = client.analyze_image(image_url, visual_features=[VisualFeatureTypes.tags])
    tags = [t.name for t in analysis.tags if t.confidence >= 0.5]
    if "elephant" in tags:
        return "elephant house"
    if "giraffe" in tags:
        return "giraffe tower"
    if "zebra" in tags or "horse" in tags:
        return "equine paddock"
    return "map"
