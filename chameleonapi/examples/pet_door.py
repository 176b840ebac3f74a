"""A smart pet door: it opens for cats and dogs, and stays shut for anything else.

An ordinary Google Cloud Vision application: nothing here knows about chameleonapi.
"""

from google.cloud import vision

PETS = ["Cat", "Dog"]

client = vision.ImageAnnotatorClient()


def should_open(image_bytes):
    """True when the camera sees one of our pets."""
    image = vision.Image(content=image_bytes)
    response = client.label_detection(image=image)
    for label in response.label_annotations:
        if label.description in PETS:
            return True
    return False
