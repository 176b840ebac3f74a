"""Moderation: an outer filter and an inner if/else split the labels into two flags."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def moderate(content):
    explicit = False
    violent = False
    for label in client.label_detection(image=vision.Image(content=content)).label_annotations:
        if label.description in ["nudity", "sex", "violence", "blood"]:
            if label.description == "nudity" or label.description == "sex":
                explicit = True
            else:
                violent = True
    return explicit, violent
