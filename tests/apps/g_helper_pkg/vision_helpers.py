"""Talks to the API and hands back plain label strings."""
from google.cloud import vision

_client = None


def get_client():
    global _client
    if _client is None:
        _client = vision.ImageAnnotatorClient()
    return _client


def get_labels(content, min_score=0.5):
    response = get_client().label_detection(image=vision.Image(content=content), max_results=6)
    return [l.description for l in response.label_annotations if l.score >= min_score]
