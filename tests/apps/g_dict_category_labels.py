"""Waste sorter: category -> labels dict, first category present wins."""
from google.cloud import vision

BINS = {
    "recycling": ["Bottle", "Plastic", "Tin can"],
    "compost": ["Food", "Fruit", "Vegetable"],
    "landfill": ["Styrofoam"],
}


def choose_bin(content):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=content), max_results=5)
    labels = response.label_annotations
    for bin_name, words in BINS.items():
        if any(label.description in words for label in labels):
            return bin_name
    return "unsure"
