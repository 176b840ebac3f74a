"""Caption words and tags merged, then searched."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def words_of(content, caption="a photo"):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    words = caption.split()
    words.extend(l.description for l in labels)
    return words


def is_beach(content):
    words = words_of(content)
    return "Beach" in words or "Sand" in words
