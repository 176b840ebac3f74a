"""Labels loaded from a JSON file at run time: the spec leaves them unresolved."""
import json

from google.cloud import vision

with open("labels.json") as f:
    BANNED = json.load(f)


def is_banned(content):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=content))
    return any(l.description in BANNED for l in response.label_annotations)
