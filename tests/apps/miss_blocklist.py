"""Anything but these: a blocklist with `continue`."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()

SKIP = ["Sky", "Tree"]


def subject(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    for label in labels:
        if label.description in SKIP:
            continue
        return label.description
    return None


def first_kept(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    for label in labels:
        if label.description not in SKIP:
            return label.description
    return None
