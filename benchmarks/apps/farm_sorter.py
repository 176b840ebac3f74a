"""Farm camera: route each animal to its enclosure (first matching rule wins)."""

from google.cloud import vision

client = vision.ImageAnnotatorClient()


def enclosure(image_bytes):
    response = client.label_detection(image=vision.Image(content=image_bytes))
    labels = {label.description for label in response.label_annotations}
    if "Cattle" in labels or "Sheep" in labels:
        return "pasture"
    elif "Horse" in labels:
        return "stable"
    elif "Dog" in labels or "Cat" in labels:
        return "house"
    return None
