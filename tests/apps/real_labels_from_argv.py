"""Keyword check: the label to look for comes from the command line."""
import sys

from google.cloud import vision

client = vision.ImageAnnotatorClient()


def check(path, keyword):
    with open(path, "rb") as f:
        response = client.label_detection(image=vision.Image(content=f.read()))
    names = [l.description.lower() for l in response.label_annotations]
    return "yes" if keyword.lower() in names else "no"


if __name__ == "__main__":
    print(check(sys.argv[1], sys.argv[2]))
