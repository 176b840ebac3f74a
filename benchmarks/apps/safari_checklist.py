"""Safari checklist: tick every big animal seen in the photo."""

from google.cloud import vision

BIG_FIVE = ["Elephant", "Giraffe", "Zebra", "Bear"]

client = vision.ImageAnnotatorClient()


def seen(image_bytes):
    response = client.label_detection(image=vision.Image(content=image_bytes))
    found = set()
    for label in response.label_annotations:
        if label.description in BIG_FIVE:
            found.add(label.description)
    return found
