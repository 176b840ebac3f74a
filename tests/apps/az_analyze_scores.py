"""Azure analyze_image: a name -> confidence dict, looked up with a threshold."""
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from azure.cognitiveservices.vision.computervision.models import VisualFeatureTypes
from msrest.authentication import CognitiveServicesCredentials


def has_dog(url):
    client = ComputerVisionClient("https://example.cognitiveservices.azure.com/", CognitiveServicesCredentials("k"))
    analysis = client.analyze_image(url, visual_features=[VisualFeatureTypes.tags])
    scores = {tag.name: tag.confidence for tag in analysis.tags}
    return scores.get("dog", 0) > 0.6
