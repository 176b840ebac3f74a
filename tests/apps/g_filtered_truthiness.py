"""Food photo filter: truthiness of a filtered list comprehension, casefolded."""
from google.cloud import vision

FOOD_WORDS = ["pizza", "burger", "salad", "sushi"]


def has_food(content):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=content))
    hits = [l for l in response.label_annotations if l.description.casefold() in FOOD_WORDS]
    if hits:
        return True
    return False
