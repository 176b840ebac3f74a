"""Wildfire watch: a detection only prints and saves the frame (no value decided)."""
import time

from google.cloud import vision

client = vision.ImageAnnotatorClient()


def watch(frame_bytes, save):
    response = client.label_detection(image=vision.Image(content=frame_bytes))
    for label in response.label_annotations:
        if label.description == "Wildfire" and label.score > 0.6:
            print("fire detected", label.score)
            save(frame_bytes)
            time.sleep(1)
