"""Dog detector that searches the printed label list."""
from google.cloud import vision


def has_dog(content):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=content))
    return "Dog" in str([label.description for label in response.label_annotations])
