"""Material sorter: substring tests on lower-cased labels, first label decides."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def material(content):
    response = client.label_detection(image=vision.Image(content=content))
    for label in response.label_annotations:
        text = label.description.lower()
        if "plastic" in text:
            return "plastic"
        elif "glass" in text or "bottle" in text:
            return "glass"
        elif "paper" in text:
            return "paper"
    return None
