"""Photo sharing: suggest travel hashtags for the confident labels of a photo."""

from google.cloud import vision

HASHTAGS = {
    "Airplane": "#flying",
    "Ship": "#sailing",
    "Car": "#roadtrip",
    "Truck": "#roadtrip",
    "Vehicle": "#travel",
}

client = vision.ImageAnnotatorClient()


def hashtags(image_bytes):
    response = client.label_detection(image=vision.Image(content=image_bytes))
    tags = set()
    for label in response.label_annotations:
        if label.score >= 0.5 and label.description in HASHTAGS:
            tags.add(HASHTAGS[label.description])
    return tags
