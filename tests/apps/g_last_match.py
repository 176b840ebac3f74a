"""Mood of a scene: a loop without break, so the last matching label wins."""
from google.cloud import vision

CALM = ["Lake", "Forest", "Sunset"]
BUSY = ["Crowd", "Traffic", "City"]


def mood(content):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=content))
    result = None
    for label in response.label_annotations:
        if label.description in CALM:
            result = "calm"
        if label.description in BUSY:
            result = "busy"
    return result
