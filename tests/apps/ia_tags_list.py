"""Azure Image Analysis 4.0: result.tags.list, if/elif per tag (first tag decides)."""
from azure.ai.vision.imageanalysis import ImageAnalysisClient
from azure.ai.vision.imageanalysis.models import VisualFeatures
from azure.core.credentials import AzureKeyCredential

client = ImageAnalysisClient("https://example.cognitiveservices.azure.com/", AzureKeyCredential("k"))


def weather(data):
    result = client.analyze(image_data=data, visual_features=[VisualFeatures.TAGS])
    for tag in result.tags.list:
        if tag.name in ("snow", "ice"):
            return "winter"
        elif tag.name in ("sun", "beach"):
            return "summer"
        elif tag.name == "rain":
            return "wet"
    return None
