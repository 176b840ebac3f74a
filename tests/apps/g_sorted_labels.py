"""Wildlife log: keep the listed animal labels themselves, returned sorted (multi-select)."""
from google.cloud import vision

ANIMALS = ["Deer", "Fox", "Badger"]

client = vision.ImageAnnotatorClient()


def animals_seen(content):
    response = client.label_detection(image=vision.Image(content=content))
    seen = set()
    for label in response.label_annotations[:5]:
        if label.description in ANIMALS:
            seen.add(label.description)
    return sorted(seen)
