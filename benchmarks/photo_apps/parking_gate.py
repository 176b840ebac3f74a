"""Parking barrier (Azure Computer Vision): lift it for cars and trucks seen with confidence."""

import io

from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

VEHICLES = {"car", "truck"}
MIN_CONFIDENCE = 0.6

client = ComputerVisionClient("https://parking.cognitiveservices.azure.com/", CognitiveServicesCredentials("key"))


def lift_barrier(image_bytes):
    result = client.tag_image_in_stream(io.BytesIO(image_bytes))
    for tag in result.tags:
        if tag.name in VEHICLES and tag.confidence >= MIN_CONFIDENCE:
            return True
    return False
