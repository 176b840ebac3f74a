"""Azure Image Analysis objects: each object's first tag is tested."""
from azure.ai.vision.imageanalysis import ImageAnalysisClient
from azure.ai.vision.imageanalysis.models import VisualFeatures
from azure.core.credentials import AzureKeyCredential

client = ImageAnalysisClient("https://example.cognitiveservices.azure.com/", AzureKeyCredential("k"))


def has_vehicle(data):
    result = client.analyze(image_data=data, visual_features=[VisualFeatures.OBJECTS])
    for i in range(len(result.objects.list)):
        if result.objects.list[i].tags[0].name in ("car", "truck"):
            return True
    return False
