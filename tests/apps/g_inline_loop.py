"""Is there a pet in the photo? (first matching label, inline list, score threshold)"""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def is_pet(path):
    with open(path, "rb") as f:
        image = vision.Image(content=f.read())
    response = client.label_detection(image=image)
    for label in response.label_annotations:
        if label.description in ["Cat", "Dog", "Hamster"] and label.score > 0.7:
            return True
    return False
