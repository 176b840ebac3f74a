"""Batch request, first response, the top five labels; independent ifs that return."""
from google.cloud import vision


def room_type(content):
    client = vision.ImageAnnotatorClient()
    feature = vision.Feature(type_=vision.Feature.Type.LABEL_DETECTION)
    request = vision.AnnotateImageRequest(image=vision.Image(content=content), features=[feature])
    batch = client.batch_annotate_images(requests=[request])
    labels = [l.description for l in batch.responses[0].label_annotations[:5]]
    if "Kitchen" in labels or "Stove" in labels:
        return "kitchen"
    if "Bed" in labels:
        return "bedroom"
    if "Bathtub" in labels or "Toilet" in labels:
        return "bathroom"
    return "other"
