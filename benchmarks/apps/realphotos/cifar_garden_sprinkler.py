"""Garden sprinkler (Google Cloud Vision): spray when a deer or a bird comes for the vegetables."""

from google.cloud import vision

PESTS = ["Deer", "Bird"]

client = vision.ImageAnnotatorClient()


def should_spray(image_bytes):
    response = client.label_detection(image=vision.Image(content=image_bytes))
    for label in response.label_annotations:
        if label.description in PESTS:
            return True
    return False
