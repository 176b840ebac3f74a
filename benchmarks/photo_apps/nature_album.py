"""Nature album (Azure Image Analysis): file each photo in every album its tags call for."""

from azure.ai.vision.imageanalysis import ImageAnalysisClient
from azure.ai.vision.imageanalysis.models import VisualFeatures
from azure.core.credentials import AzureKeyCredential

ALBUMS = {
    "mammal": "Mammals",
    "carnivore": "Predators",
    "bird": "Birds",
    "frog": "Frogs",
}


def albums(image_bytes):
    client = ImageAnalysisClient(endpoint="https://album.cognitiveservices.azure.com/", credential=AzureKeyCredential("key"))
    result = client.analyze(image_data=image_bytes, visual_features=[VisualFeatures.TAGS])
    chosen = set()
    for tag in result.tags.list:
        if tag.name in ALBUMS:
            chosen.add(ALBUMS[tag.name])
    return chosen
