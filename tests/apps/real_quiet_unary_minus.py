"""Prints the labels; negative indexes elsewhere must not matter."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def describe(content, location):
    operation_id = location.split("/")[-1]
    response = client.label_detection(image=vision.Image(content=content))
    names = [l.description for l in response.label_annotations]
    while True:
        if operation_id[-1:] != "-":
            break
        operation_id = operation_id[:-1]
    return {"id": operation_id, "labels": names}
