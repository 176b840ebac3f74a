"""Safari log: how many zebras and giraffes are in each photo."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()
STRIPED_OR_TALL = ("Zebra", "Giraffe")


def zebras_and_giraffes(content):
    objects = client.object_localization(image=vision.Image(content=content)).localized_object_annotations
    seen = 0
    for obj in objects:
        if obj.name in STRIPED_OR_TALL and obj.score >= 0.5:
            seen += 1
    return seen
