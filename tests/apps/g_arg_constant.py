"""The label list and threshold arrive as arguments, constant at the call site."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()
WANTED = ["Bicycle", "Bicycle wheel"]


def contains_any(content, targets, min_score):
    response = client.label_detection(image=vision.Image(content=content))
    for label in response.label_annotations:
        if label.score >= min_score and label.description in targets:
            return True
    return False


def has_bike(content):
    return contains_any(content, WANTED, 0.65)
