"""Campsite alarm: sound it when a bear or an elephant is confidently seen (Azure)."""

import io

from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

DANGEROUS = {"bear", "elephant"}
MIN_CONFIDENCE = 0.6

client = ComputerVisionClient("https://campsite.cognitiveservices.azure.com/", CognitiveServicesCredentials("key"))


def sound_alarm(image_bytes):
    result = client.tag_image_in_stream(io.BytesIO(image_bytes))
    for tag in result.tags:
        if tag.confidence > MIN_CONFIDENCE and tag.name in DANGEROUS:
            return True
    return False
