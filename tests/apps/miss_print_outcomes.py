"""Barcode-less checkout: the branches differ only by what they print."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def check(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    for label in labels:
        if label.description in ("Banana", "Apple"):
            print("OK")
            return
        if label.description in ("Knife", "Gun"):
            print("BIP")
            return
