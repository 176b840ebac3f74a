"""Count the sheep in the pen and alert the farmer when more than 2 are in view."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()
MIN_SCORE = 0.6
PEN_LIMIT = 2


def too_many_sheep(jpeg_bytes):
    response = client.object_localization(image=vision.Image(content=jpeg_bytes))
    sheep = [obj for obj in response.localized_object_annotations if obj.name == "Sheep" and obj.score > MIN_SCORE]
    return len(sheep) > PEN_LIMIT
