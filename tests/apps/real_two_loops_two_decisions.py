"""Mirror app: one loop looks for a beard, a second one lists the objects held."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def look(content):
    response = client.label_detection(image=vision.Image(content=content))
    beard = False
    for label in response.label_annotations:
        if label.description == "Beard":
            beard = True
            break
    held = []
    for label in response.label_annotations:
        if label.description in ["Mobile phone", "Smartphone"]:
            held.append("phone")
        elif label.description in ["Cup", "Mug"]:
            held.append("cup")
    return beard, held
