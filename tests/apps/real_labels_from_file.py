"""Pantry: the first label listed in ingredients.txt (read at run time) is returned."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def first_ingredient(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    for label in labels:
        if label.description.lower() in open("ingredients.txt").read().lower().split("\n"):
            return label.description
    return ""
