"""Stable gate (Azure Image Analysis): let horses and zebras through."""

from azure.ai.vision.imageanalysis import ImageAnalysisClient
from azure.ai.vision.imageanalysis.models import VisualFeatures
from azure.core.credentials import AzureKeyCredential

client = ImageAnalysisClient(endpoint="https://stable.cognitiveservices.azure.com/", credential=AzureKeyCredential("key"))


def open_gate(image_bytes):
    result = client.analyze(image_data=image_bytes, visual_features=[VisualFeatures.TAGS])
    names = [tag.name.lower() for tag in result.tags.list]
    return "horse" in names or "zebra" in names
