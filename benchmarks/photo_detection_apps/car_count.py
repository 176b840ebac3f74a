"""Count the cars in a parking photo (Google object localization): the count itself."""

from google.cloud import vision

client = vision.ImageAnnotatorClient()


def cars(image_bytes):
    objects = client.object_localization(image=vision.Image(content=image_bytes)).localized_object_annotations
    count = 0
    for o in objects:
        if o.name == "Car":
            count += 1
    return count
