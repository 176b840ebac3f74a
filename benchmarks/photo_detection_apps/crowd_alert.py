"""Raise an alert when the camera sees at least two people (Google object localization)."""

from google.cloud import vision

client = vision.ImageAnnotatorClient()


def crowded(image_bytes):
    objects = client.object_localization(image=vision.Image(content=image_bytes)).localized_object_annotations
    people = sum(1 for o in objects if o.name == "Person")
    return people >= 2
