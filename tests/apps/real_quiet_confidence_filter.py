"""Keeps the confident labels and returns them: a filter, not a decision."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def confident_labels(content):
    response = client.label_detection(image=vision.Image(content=content))
    return [l.description.lower() for l in response.label_annotations if l.score > 0.75]
