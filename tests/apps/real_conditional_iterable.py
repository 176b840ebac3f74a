"""Parcel check: tags read through `(result.tags.list if result.tags else [])`."""
from azure.ai.vision.imageanalysis import ImageAnalysisClient
from azure.ai.vision.imageanalysis.models import VisualFeatures
from azure.core.credentials import AzureKeyCredential

DAMAGE = ["broken", "torn", "crushed", "wet"]


def damaged(url, endpoint, key):
    client = ImageAnalysisClient(endpoint=endpoint, credential=AzureKeyCredential(key))
    result = client.analyze_from_url(image_url=url, visual_features=[VisualFeatures.TAGS])
    tags = [t.name.lower() for t in (result.tags.list if result.tags else [])]
    return any(word in tags for word in DAMAGE)
