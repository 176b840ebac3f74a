"""Azure tags upper-cased and compared with upper-case constants; first label decides."""
from azure.cognitiveservices.vision.computervision import ComputerVisionClient
from msrest.authentication import CognitiveServicesCredentials


class Classifier:
    FRUIT = ["APPLE", "PEAR"]
    NUTS = ["WALNUT", "ALMOND"]

    def __init__(self, endpoint, key):
        self.client = ComputerVisionClient(endpoint, CognitiveServicesCredentials(key))

    def kind(self, url):
        tags = self.client.tag_image(url).tags
        for tag in tags:
            name = tag.name.upper()
            if name in self.FRUIT:
                return "fruit"
            elif name in self.NUTS:
                return "nut"
        return None


def kind(url):
    return Classifier("https://example.cognitiveservices.azure.com/", "k").kind(url)
