"""Azure detect_objects: collect every kind of vehicle seen (multi-select)."""
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

client = ComputerVisionClient("https://example.cognitiveservices.azure.com/", CognitiveServicesCredentials("k"))


def vehicles(url):
    found = []
    for obj in client.detect_objects(url).objects:
        if obj.object_property in ("car", "taxi"):
            found.append("car")
        if obj.object_property == "bicycle":
            found.append("bike")
        if obj.object_property in ("bus", "truck"):
            found.append("large")
    return found
