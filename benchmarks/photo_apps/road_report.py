"""Traffic survey (Azure Computer Vision): count the road users the top tags show."""

import io

from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

COUNTERS = {"car": "cars", "truck": "trucks", "motor vehicle": "motor vehicles"}

client = ComputerVisionClient("https://traffic.cognitiveservices.azure.com/", CognitiveServicesCredentials("key"))


def road_users(image_bytes):
    result = client.tag_image_in_stream(io.BytesIO(image_bytes))
    counted = set()
    for tag in result.tags[:5]:
        if tag.name in COUNTERS:
            counted.add(COUNTERS[tag.name])
    return sorted(counted)
