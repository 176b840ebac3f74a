"""Safety camera: an elif inside the per-label loop still sets independent flags."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def hazards(content):
    response = client.label_detection(image=vision.Image(content=content))
    has_fire = False
    has_smoke = False
    for label in response.label_annotations:
        if label.description in ("Fire", "Flame"):
            has_fire = True
        elif label.description == "Smoke":
            has_smoke = True
    return {"fire": has_fire, "smoke": has_smoke}
