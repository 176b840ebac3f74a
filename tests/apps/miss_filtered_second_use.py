"""Menu tagger: the filtered list is used a second time to build the answer."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()

VEGETABLES = ["Carrot", "Broccoli", "Potato"]


def vegetables(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    found = [l for l in labels if l.description in VEGETABLES]
    return [l.description for l in found]
