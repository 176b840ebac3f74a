"""Pasture gate: close it when two or more cows or horses crowd the gate (Azure detect_objects)."""
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

client = ComputerVisionClient("https://farm.cognitiveservices.azure.com/", CognitiveServicesCredentials("farm-key"))
LIVESTOCK = {"cow", "horse"}


def should_close_gate(image_url):
    analysis = client.detect_objects(image_url)
    crowd = [o for o in analysis.objects if o.object_property in LIVESTOCK and o.confidence > 0.55]
    return len(crowd) >= 2
