"""Game scoring: the matching branch sets temporaries; the returned value is the outcome."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()

POINTS = {"Cat": 3, "Dog": 2}


def score(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    result = "none"
    for label in labels:
        if label.description in POINTS:
            pts = POINTS[label.description]
            left = 3
            print(pts, left)
            result = "animal"
            break
        if label.description == "Car":
            left = 1
            result = "vehicle"
            break
    return result
