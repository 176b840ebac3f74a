"""Kitchen robot: the decision lives in a method of another object held by the app."""
from google.cloud import vision


class Sorter:
    def categorize(self, labels):
        for label in labels:
            if label.description in ("Plate", "Bowl"):
                return "dishwasher"
            if label.description in ("Knife", "Fork", "Spoon"):
                return "drawer"
        return None


class Robot:
    def __init__(self):
        self.client = vision.ImageAnnotatorClient()
        self.sorter = Sorter()

    def handle(self, content):
        response = self.client.label_detection(image=vision.Image(content=content))
        return self.sorter.categorize(response.label_annotations)
