"""Lawn robot (Google Cloud Vision): pull the plant when the camera sees a dandelion."""

from google.cloud import vision

client = vision.ImageAnnotatorClient()


def is_weed(image_bytes):
    response = client.label_detection(image=vision.Image(content=image_bytes))
    for label in response.label_annotations:
        if label.description == "Dandelion":
            return True
    return False
