"""An SDK-like wrapper class in another module of the app."""
from miss_wrapper_rekognition import RekognitionImage


def is_cat(data):
    labels = RekognitionImage(data).detect_labels(10)
    return any(l["Name"] == "Cat" for l in labels)
