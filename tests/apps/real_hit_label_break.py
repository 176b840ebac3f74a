"""Game lookup: the first game-like label is kept; without one the request fails."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()

GAME_WORDS = ["video game", "gaming", "xbox", "playstation"]


def game_query(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    hit = None
    for label in labels:
        if label.description.lower() in GAME_WORDS:
            hit = label
            break
    if hit is None:
        raise ValueError("no game in the picture")
    return "https://example.com/search?q=" + hit.description
