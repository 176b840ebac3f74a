"""Smart door: calls an actuator for the first category present (a side effect)."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


def open_door(who):
    print("opening for", who)


def sound_alarm():
    print("alarm!")


def on_motion(content):
    response = client.label_detection(image=vision.Image(content=content))
    names = {l.description for l in response.label_annotations}
    if "Cat" in names:
        open_door("cat")
    elif "Raccoon" in names or "Fox" in names:
        sound_alarm()
