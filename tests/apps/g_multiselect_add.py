"""Photo tagger: independent tests add tags to a set (multi-select)."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def tags_for(content):
    response = client.label_detection(image=vision.Image(content=content), max_results=8)
    tags = set()
    for label in response.label_annotations:
        if label.score < 0.6:
            continue
        if label.description in ("Beach", "Sea", "Sand"):
            tags.add("holiday")
        if label.description in ("Dog", "Cat"):
            tags.add("pets")
        if label.description == "Food":
            tags.add("food")
    return sorted(tags)
