"""Campsite camera: is any bear near the tent? (Azure Computer Vision detect_objects)"""
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

client = ComputerVisionClient(
    "https://campsite.cognitiveservices.azure.com/", CognitiveServicesCredentials("camp-key")
)


def bear_near_tent(stream):
    result = client.detect_objects_in_stream(stream)
    bears = sum(1 for obj in result.objects if obj.object_property == "bear" and obj.confidence >= 0.5)
    return bears >= 1
