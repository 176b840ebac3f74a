"""Pet camera: a negative index and a `!= -1` test elsewhere in the function."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()

PETS = ["dog", "cat", "puppy", "kitten"]


def has_pet(content, history):
    response = client.label_detection(image=vision.Image(content=content))
    last = history[-1] if history else None
    if last is not None and last.find("pet") != -1:
        print("previous frame had a pet")
    for label in response.label_annotations:
        if label.description.lower() in PETS and label.score >= 0.7:
            return True
    return False
