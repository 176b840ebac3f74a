"""Grooming mirror: a flag set in the label loop, then tested only to print the verdict."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def has_beard(content):
    response = client.label_detection(image=vision.Image(content=content))
    beard = False
    for label in response.label_annotations:
        if label.description == "Beard" or label.description == "Facial hair":
            beard = True
            break
    if beard:
        print("Nice beard.")
    else:
        print("No beard.")
    return beard
