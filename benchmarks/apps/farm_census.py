"""Farm census: which kinds of livestock are in the frame (confident labels only)."""

from google.cloud import vision

LIVESTOCK = {
    "cattle": ["Cattle"],
    "sheep": ["Sheep"],
    "horses": ["Horse"],
}

client = vision.ImageAnnotatorClient()


def census(image_bytes):
    response = client.label_detection(image=vision.Image(content=image_bytes))
    present = []
    for kind, names in LIVESTOCK.items():
        if any(l.description in names and l.score >= 0.5 for l in response.label_annotations):
            present.append(kind)
    return present
