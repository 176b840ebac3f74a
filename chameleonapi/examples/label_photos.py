"""An ordinary Google Cloud Vision application: print the labels of some photos.

Nothing here knows about chameleonapi; run it with `CHAMELEONAPI=1 python label_photos.py
PHOTO...` (or `chameleonapi demo`) and the labels come from the local model.
"""

import sys

from google.cloud import vision


def describe(path, max_results=10):
    client = vision.ImageAnnotatorClient()
    with open(path, "rb") as image_file:
        image = vision.Image(content=image_file.read())
    response = client.label_detection(image=image, max_results=max_results)
    if response.error.message:
        raise RuntimeError(response.error.message)
    return [(label.description, label.score) for label in response.label_annotations]


def main(paths):
    for path in paths:
        print(path)
        for description, score in describe(path):
            print(f"  {score:6.3f}  {description}")


if __name__ == "__main__":
    main(sys.argv[1:])
