"""Threat scan: the decision is stored in a dataclass field."""
from dataclasses import dataclass

from google.cloud import vision

client = vision.ImageAnnotatorClient()

WEAPONS = ["Gun", "Knife", "Rifle"]


@dataclass
class Result:
    threat: bool
    count: int


def scan(content):
    response = client.label_detection(image=vision.Image(content=content))
    hits = [l for l in response.label_annotations if l.description in WEAPONS]
    return Result(threat=bool(hits), count=len(response.label_annotations))
