"""Sort laundry photos: module constants, if/elif over categories, lower-cased labels."""
from google.cloud import vision

SHIRTS = ["shirt", "t-shirt", "blouse"]
TROUSERS = ["trousers", "jeans", "shorts"]


def sort_item(path):
    client = vision.ImageAnnotatorClient()
    image = vision.Image(content=open(path, "rb").read())
    response = client.label_detection(image=image, max_results=5)
    names = [label.description.lower() for label in response.label_annotations]
    if any(n in SHIRTS for n in names):
        return "tops"
    elif any(n in TROUSERS for n in names):
        return "bottoms"
    else:
        return "unknown"
