"""annotate_image with a request dict; an equality chain over the top labels."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def is_kitten(content):
    request = {
        "image": {"content": content},
        "features": [{"type_": vision.Feature.Type.LABEL_DETECTION, "max_results": 3}],
    }
    response = client.annotate_image(request)
    for label in response.label_annotations:
        d = label.description
        if d == "Kitten" or d == "Cat" or d == "Small to medium-sized cats":
            return True
    return False
