"""Dog breeds: the flag decides; the matching label texts are only collected for a lookup."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def breeds(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    dog_detected = False
    candidates = []
    for label in labels:
        if "dog" in label.description.lower() and label.score >= 0.8:
            dog_detected = True
            candidates.append(label.description)
    if not dog_detected:
        return None
    return candidates
