"""One function uses Python 3.12 syntax; the decision in the other still counts."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def first[T](items: list[T]) -> T:
    return items[0]


def is_dog(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    return any(l.description == "Dog" for l in labels)
