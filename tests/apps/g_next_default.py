"""Which animal is it? next() over a generator with a default, returns the label itself."""
from google.cloud import vision

ANIMALS = ("Cat", "Dog", "Horse", "Cow")


def which_animal(content):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=content))
    return next((l.description for l in response.label_annotations if l.description in ANIMALS), None)
