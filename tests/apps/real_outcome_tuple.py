"""Recycling sorter: each branch returns a (bin, detail) tuple."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def sort_item(content):
    response = client.label_detection(image=vision.Image(content=content))
    names = [l.description for l in response.label_annotations]
    detail = {"count": len(names)}
    if "Plastic bottle" in names or "Plastic" in names:
        return ("Plastic", detail)
    elif "Cardboard" in names or "Paper" in names:
        return ("Paper", detail)
    elif "Tin can" in names:
        return ("Metal", detail)
    return ("Trash", detail)
