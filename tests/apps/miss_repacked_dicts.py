"""Recycling kiosk: labels repacked into dicts, read back by key."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()

ACCEPT = ["bottle", "can", "carton"]


def accepted(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    infos = []
    for l in labels:
        infos.append({"name": l.description.lower(), "score": l.score})
    for info in infos:
        if info["name"] in ACCEPT:
            return True
    return False
