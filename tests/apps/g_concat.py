"""Dog breeds list built by concatenation and a comprehension; note the missing comma."""
from google.cloud import vision

SMALL = ["Chihuahua", "Pug"]
LARGE = ["Great dane", "Golden " "retriever"]
ALL_DOGS = [name.lower() for name in SMALL + LARGE] + ["dog"]


def is_dog(content):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=content))
    for label in response.label_annotations:
        if label.description.lower() in ALL_DOGS:
            return True
    return False
