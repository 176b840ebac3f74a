"""Wardrobe: labels mentioning clothing words are kept; none means no clothing."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def clothing(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    found = [
        l.description
        for l in labels
        if "clothing" in l.description.lower() or "apparel" in l.description.lower()
    ]
    if not found:
        return None
    return found
