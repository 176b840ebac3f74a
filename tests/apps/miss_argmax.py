"""Bird feeder: the best-scoring accepted label is the answer."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()

BIRDS = ["Sparrow", "Robin", "Finch"]


def best_bird(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    valid = [l for l in labels if l.description in BIRDS]
    if not valid:
        return None
    best = max(valid, key=lambda l: l.score)
    return best.description
