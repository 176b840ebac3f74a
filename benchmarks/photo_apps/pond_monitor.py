"""Garden pond camera (Azure Image Analysis): keep clips where the top tags show wildlife."""

from azure.ai.vision.imageanalysis import ImageAnalysisClient
from azure.ai.vision.imageanalysis.models import VisualFeatures
from azure.core.credentials import AzureKeyCredential

client = ImageAnalysisClient(endpoint="https://pond.cognitiveservices.azure.com/", credential=AzureKeyCredential("key"))


def keep_clip(image_bytes):
    result = client.analyze(image_data=image_bytes, visual_features=[VisualFeatures.TAGS])
    top = [tag.name for tag in result.tags.list[:5]]
    return "frog" in top or "bird" in top
