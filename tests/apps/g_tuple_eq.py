"""Top label only: the first label decides, compared against a tuple."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()
FLOWERS = ("Flower", "Rose", "Tulip")


def top_is_flower(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    if not labels:
        return False
    return labels[0].description in FLOWERS
