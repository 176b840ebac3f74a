"""Pet door: the best score of the pet labels must pass a threshold."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()

PETS = ["Cat", "Dog"]


def open_door(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    scores = [l.score for l in labels if l.description in PETS]
    if scores and scores[0] > 0.8:
        return True
    return False
