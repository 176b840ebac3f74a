"""Garden app: one test written as two calls of a small helper."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def has(labels, name):
    for label in labels:
        if label.description == name:
            return True
    return False


def is_organic(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    if has(labels, "Food") or has(labels, "Plant"):
        return "compost"
    return "other"
