"""Object localization: is there a person in the frame?"""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def person_present(content):
    objects = client.object_localization(image=vision.Image(content=content)).localized_object_annotations
    return any(obj.name == "Person" and obj.score >= 0.5 for obj in objects)
