"""Traffic survey (Azure Computer Vision): note which road users the top tags show."""

import io

from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

ROAD_USERS = ["car", "truck", "motor vehicle"]

client = ComputerVisionClient("https://traffic.cognitiveservices.azure.com/", CognitiveServicesCredentials("key"))


def road_users(image_bytes):
    result = client.tag_image_in_stream(io.BytesIO(image_bytes))
    seen = set()
    for tag in result.tags[:5]:
        if tag.name in ROAD_USERS:
            seen.add(tag.name)
    return sorted(seen)
