"""Photo sorter: the same call with a different constant folder per category."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def copy(blob, dest):
    print("copy", blob, "to", dest)


def route(content):
    name = "photo.jpg"
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    texts = {l.description for l in labels}
    if texts & {"Person", "Face"}:
        copy(content, "person/" + name)
    elif texts & {"Router", "Cable"}:
        copy(content, "net/" + name)
