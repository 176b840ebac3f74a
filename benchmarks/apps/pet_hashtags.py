"""Photo app (Azure Image Analysis): suggest hashtags for the pets in a picture."""

from azure.ai.vision.imageanalysis import ImageAnalysisClient
from azure.ai.vision.imageanalysis.models import VisualFeatures
from azure.core.credentials import AzureKeyCredential


def hashtags(image_bytes):
    client = ImageAnalysisClient(endpoint="https://photos.cognitiveservices.azure.com/", credential=AzureKeyCredential("key"))
    result = client.analyze(image_data=image_bytes, visual_features=[VisualFeatures.TAGS])
    tags = set()
    for tag in result.tags.list:
        if tag.name == "cat":
            tags.add("#catsofinstagram")
        if tag.name == "dog":
            tags.add("#dogsofinstagram")
        if tag.name == "bird":
            tags.add("#birding")
    return tags
