"""Litter report: `("waste" or "trash") in text` is `"waste" in text` in Python."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def is_litter(content):
    for label in client.label_detection(image=vision.Image(content=content)).label_annotations:
        if ("waste" or "trash" or "litter") in label.description:
            return True
    return False
