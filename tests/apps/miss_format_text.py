"""The label text built with format/f-strings before it is tested."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def is_fruit(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    names = ["{}".format(t.description) for t in labels]
    texts = [f"{n}" for n in names]
    return "Apple" in texts or "Pear" in texts
