"""Fire watch: two flags set in the label loop, then tested together to raise one alarm
(the alarm, not the flags, is the outcome)."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def alarm(kind):
    raise RuntimeError(f"alarm {kind}: not wired in this example")


def watch(content):
    response = client.label_detection(image=vision.Image(content=content))
    fire = False
    smoke = False
    for label in response.label_annotations:
        if label.description == "Fire":
            fire = True
        elif label.description == "Smoke":
            smoke = True
    if fire or smoke:
        alarm("evacuate")
