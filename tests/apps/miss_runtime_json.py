"""Allowed labels from a JSON file beside the app, read at import."""
import json
import os

from google.cloud import vision

client = vision.ImageAnnotatorClient()

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "miss_runtime_json.json")) as f:
    CONFIG = json.load(f)


def allowed(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    for label in labels:
        if label.description in CONFIG["allowed"]:
            return True
    return False
