"""Wildlife archive (Azure): tag each photo with the wild animals it shows."""

import io

from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials

WILD = ["bear", "elephant", "giraffe", "zebra"]

client = ComputerVisionClient("https://archive.cognitiveservices.azure.com/", CognitiveServicesCredentials("key"))


def wild_tags(image_bytes):
    result = client.tag_image_in_stream(io.BytesIO(image_bytes))
    names = {tag.name for tag in result.tags}
    return sorted(names & set(WILD))
