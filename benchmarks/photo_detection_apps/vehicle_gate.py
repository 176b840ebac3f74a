"""Open the barrier when any vehicle is in front of it (Azure detect_objects)."""

import io

from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

VEHICLES = ["car", "bus", "truck", "motorcycle", "bicycle", "train"]
client = ComputerVisionClient("https://example.cognitiveservices.azure.com/", CognitiveServicesCredentials("key"))


def vehicle_waiting(image_bytes):
    objects = client.detect_objects_in_stream(io.BytesIO(image_bytes)).objects
    vehicles = [o for o in objects if o.object_property in VEHICLES]
    return len(vehicles) >= 1
