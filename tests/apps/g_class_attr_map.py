"""Bird feeder camera: a class whose label -> species map is a class attribute."""
from google.cloud import vision


class FeederCam:
    SPECIES = {
        "Sparrow": "sparrow",
        "House sparrow": "sparrow",
        "Blue jay": "jay",
        "Squirrel": "intruder",
    }

    def __init__(self):
        self.client = vision.ImageAnnotatorClient()

    def classify(self, content):
        response = self.client.label_detection(image=vision.Image(content=content))
        for label in response.label_annotations:
            if label.description in self.SPECIES:
                return self.SPECIES[label.description]
        return None


def classify(content):
    return FeederCam().classify(content)
