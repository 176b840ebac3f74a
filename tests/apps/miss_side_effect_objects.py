"""Status light: the branch taken only switches a different LED on (a side effect)."""
from google.cloud import vision

client = vision.ImageAnnotatorClient()


class Led:
    def __init__(self, pin):
        self.pin = pin

    def on(self):
        print("pin", self.pin, "on")


led_blue = Led(17)
led_red = Led(27)


def signal(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    names = [l.description for l in labels]
    if any(n in ["Water", "Sea"] for n in names):
        led_blue.on()
    elif any(n in ["Fire", "Flame"] for n in names):
        led_red.on()
