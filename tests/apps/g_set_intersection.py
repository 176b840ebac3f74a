"""Outdoor scene check with set intersection of label texts."""
from google.cloud import vision

OUTDOOR = {"Sky", "Tree", "Mountain", "Beach"}


def is_outdoor(content):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=content))
    seen = {label.description for label in response.label_annotations}
    return bool(seen & OUTDOOR)
