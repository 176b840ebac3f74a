"""Bird feeder camera: keep the snapshot only when a bird is visiting."""

from google.cloud import vision


def bird_visiting(image_bytes):
    client = vision.ImageAnnotatorClient()
    response = client.label_detection(image=vision.Image(content=image_bytes))
    labels = [label.description.lower() for label in response.label_annotations]
    return any(name == "bird" for name in labels)
