"""Animal shelter intake: which wing does the new arrival go to? (top 5 labels only)."""

from google.cloud import vision

WINGS = {
    "cattery": ["Cat"],
    "kennel": ["Dog"],
    "aviary": ["Bird"],
    "stable": ["Horse"],
}

client = vision.ImageAnnotatorClient()


def wing_for(image_bytes):
    response = client.label_detection(image=vision.Image(content=image_bytes), max_results=5)
    for label in response.label_annotations:
        for wing, names in WINGS.items():
            if label.description in names:
                return wing
    return "front desk"
