"""Safari guide: name the region of the park from the most confident animal label."""

from google.cloud import vision

REGION_OF = {
    "Giraffe": "savanna",
    "Zebra": "savanna",
    "Elephant": "river",
    "Bear": "forest",
    "Bird": "forest",
}


def region(image_bytes):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=image_bytes))
    for label in response.label_annotations:
        if label.description in REGION_OF:
            return REGION_OF[label.description]
    return None
