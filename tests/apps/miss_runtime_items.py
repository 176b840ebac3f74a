"""Categories and their labels from a JSON file beside the app; the matching key is returned."""
import json
import os

from google.cloud import vision

client = vision.ImageAnnotatorClient()

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "miss_runtime_items.json")) as f:
    CATEGORIES = json.load(f)


def category(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    names = [l.description.lower() for l in labels]
    for name in names:
        for cat, words in CATEGORIES.items():
            if name in words:
                return cat
    return "other"
