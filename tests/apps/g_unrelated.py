"""Prints labels only: a call with no decision."""
from google.cloud import vision


def show(content):
    client = vision.ImageAnnotatorClient()
    for label in client.label_detection(image=vision.Image(content=content)).label_annotations:
        print(label.description, label.score)
