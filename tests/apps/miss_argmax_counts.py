"""Room guesser: the category with most matching labels wins (first on ties)."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()

ROOMS = {
    "kitchen": ["Oven", "Sink", "Stove"],
    "office": ["Desk", "Laptop", "Chair"],
}


def room(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    feats = [l.description for l in labels]
    best, best_count = None, 0
    for name, kws in ROOMS.items():
        count = sum(1 for f in feats if any(k == f for k in kws))
        if count > best_count:
            best, best_count = name, count
    return best
