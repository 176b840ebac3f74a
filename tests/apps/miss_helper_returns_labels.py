"""Labels returned by a helper, handed to a class, tested in a method with a default list."""
from google.cloud import vision

from miss_helper_settings import DEFAULT_PESTS

client = vision.ImageAnnotatorClient()


def get_labels(content):
    response = client.label_detection(image=vision.Image(content=content))
    return [l.description for l in response.label_annotations]


class Inspector:
    def __init__(self, labels):
        self.labels = labels

    def pest(self, pests=DEFAULT_PESTS):
        for name in self.labels:
            if name in pests:
                return True
        return False


def has_pest(content):
    return Inspector(get_labels(content)).pest()
