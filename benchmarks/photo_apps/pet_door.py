"""Smart pet door: the camera over the flap opens it for cats and dogs only."""

from google.cloud import vision

PETS = ["Cat", "Dog"]

client = vision.ImageAnnotatorClient()


def should_open(image_bytes):
    response = client.label_detection(image=vision.Image(content=image_bytes))
    for label in response.label_annotations:
        if label.description in PETS:
            return True
    return False
