"""Hazard scan: flags set inside loops over the labels, tested after, block by block."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def hazard(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    found = False
    for l in labels:
        if l.description == "Fire":
            found = True
    if found:
        return "fire"
    found = False
    for l in labels:
        if l.description in ("Flood", "Water"):
            found = True
    if found:
        return "flood"
    return "safe"
