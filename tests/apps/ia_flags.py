"""Azure Image Analysis from a URL: independent tests over all tags set flags (multi-select)."""
from azure.ai.vision.imageanalysis import ImageAnalysisClient
from azure.ai.vision.imageanalysis.models import VisualFeatures
from azure.core.credentials import AzureKeyCredential

KIDS = ["child", "toddler"]


def describe(url):
    client = ImageAnalysisClient("https://example.cognitiveservices.azure.com/", AzureKeyCredential("k"))
    result = client.analyze_from_url(image_url=url, visual_features=[VisualFeatures.TAGS])
    names = [t.name for t in result.tags.list if t.confidence > 0.4]
    indoor = "indoor" in names
    kids = any(k in names for k in KIDS)
    water = False
    if "water" in names or "pool" in names:
        water = True
    return {"indoor": indoor, "kids": kids, "water": water}
