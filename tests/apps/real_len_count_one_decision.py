"""Bird feeder: the same filtered list is tested by length, emptiness and count."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()

BIRDS = ["Bird", "Sparrow", "Robin"]


def report(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    birds = [l.description for l in labels if l.description in BIRDS]
    if len(birds) > 0:
        status = "birds"
    if len(birds) == 0:
        status = "empty"
    count = len(birds)
    return {"status": status, "count": count}
