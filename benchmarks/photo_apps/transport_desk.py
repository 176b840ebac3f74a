"""Travel desk: file a traveller's photo under the terminal it shows (first rule wins)."""

from google.cloud import vision

client = vision.ImageAnnotatorClient()


def terminal(image_bytes):
    response = client.label_detection(image=vision.Image(content=image_bytes))
    labels = {label.description for label in response.label_annotations}
    if "Airplane" in labels:
        return "airport"
    elif "Ship" in labels:
        return "harbour"
    elif "Car" in labels or "Truck" in labels:
        return "car park"
    return None
