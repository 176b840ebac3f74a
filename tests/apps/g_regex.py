"""Vehicle spotter using a case-insensitive regular expression."""
import re

from google.cloud import vision

VEHICLE = re.compile("x")  # unused; the search below passes the pattern directly


def is_vehicle(content):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=content))
    for label in response.label_annotations:
        if re.search(r"car|truck|bus", label.description, re.IGNORECASE):
            return True
    return False
