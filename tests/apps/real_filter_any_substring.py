"""Recycling helper: labels containing a material word, tested by length."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()

MATERIALS = ["plastic", "glass", "metal", "paper"]


def materials(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    found = [l.description for l in labels if any(m in l.description.lower() for m in MATERIALS)]
    if len(found) == 0:
        found = ["No recyclable material"]
    return found
