"""Talks to the vision API; the application decides elsewhere."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def label_names(content):
    response = client.label_detection(image=vision.Image(content=content))
    return [l.description for l in response.label_annotations]
