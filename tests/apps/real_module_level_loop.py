"""Street survey: a helper returns the labels; module-level code sets the flags."""
import csv
import os

from google.cloud import vision

client = vision.ImageAnnotatorClient()


def labels_of(path):
    with open(path, "rb") as f:
        response = client.label_detection(image=vision.Image(content=f.read()))
    return response.label_annotations


rows = []
for name in os.listdir("photos"):
    labels = labels_of(os.path.join("photos", name))
    hydrant = any(l.description == "Fire hydrant" for l in labels)
    paved = any(l.description in ["Asphalt", "Road"] for l in labels)
    rows.append([name, hydrant, paved])

with open("survey.csv", "w") as out:
    csv.writer(out).writerows(rows)
