"""Vial inspection: the branch records the matching label and its score as values."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()

DEFECTS = ["crack", "scratch", "dent"]


def inspect(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    defective = False
    confidence = 0.0
    detail = "none"
    for label in labels:
        if any(word in label.description.lower() for word in DEFECTS):
            defective = True
            confidence = label.score
            detail = label.description
            break
    return {"defective": defective, "confidence": confidence, "detail": detail}
