"""Prints the top label when it is confident enough: no label constant is tested."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def guess(uri):
    image = vision.Image()
    image.source.image_uri = uri
    response = client.label_detection(image=image)
    top = response.label_annotations[0]
    if top.score >= 0.5:
        print("I think this is", top.description)
    else:
        print("not sure")
