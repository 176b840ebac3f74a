"""Photo moderation: nested tests set one of two flags per label; the flags are tested
together only to stop reading labels early."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def moderate(content):
    response = client.label_detection(image=vision.Image(content=content))
    explicit = False
    violent = False
    for label in response.label_annotations:
        if label.description in ["Nudity", "Violence", "Blood"]:
            if label.description == "Nudity":
                explicit = True
            else:
                violent = True
        if explicit and violent:
            break
    return {"explicit": explicit, "violent": violent}
