"""Transport hub (Azure Image Analysis): send each photo to the desk of the vehicle it shows."""

from azure.ai.vision.imageanalysis import ImageAnalysisClient
from azure.ai.vision.imageanalysis.models import VisualFeatures
from azure.core.credentials import AzureKeyCredential

client = ImageAnalysisClient(endpoint="https://hub.cognitiveservices.azure.com/", credential=AzureKeyCredential("key"))


def desk_for(image_bytes):
    result = client.analyze(image_data=image_bytes, visual_features=[VisualFeatures.TAGS])
    for tag in result.tags.list:
        if tag.name == "airplane":
            return "airport"
        if tag.name == "ship":
            return "harbour"
        if tag.name == "truck":
            return "freight"
        if tag.name == "car":
            return "parking"
    return "general"
