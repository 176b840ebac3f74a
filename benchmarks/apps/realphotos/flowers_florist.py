"""Florist's stock camera (Azure Computer Vision): which shelf a photographed bunch goes to."""

import io

from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

SHELVES = {
    "rose": "cooler",
    "tulip": "bulb stand",
    "sunflower": "seed stand",
    "daisy": "perennials",
}

client = ComputerVisionClient("https://florist.cognitiveservices.azure.com/", CognitiveServicesCredentials("key"))


def shelf_for(image_bytes):
    result = client.tag_image_in_stream(io.BytesIO(image_bytes))
    for tag in result.tags:
        if tag.name in SHELVES:
            return SHELVES[tag.name]
    return "front counter"
