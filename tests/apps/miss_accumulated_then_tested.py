"""Road report: labels gathered in a loop, then the gathered list is tested."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def report(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    issues = []
    for label in labels:
        issues.append(label.description.lower())
    if "pothole" in issues:
        return "repair"
    elif "debris" in issues or "litter" in issues:
        return "clean"
    return "fine"
