"""Command-line sorter: the category from a helper is only printed."""
import sys

from google.cloud import vision

client = vision.ImageAnnotatorClient()


def categorize(labels):
    for label in labels:
        if label.description in ("Apple", "Banana"):
            return "fruit"
        if label.description in ("Carrot", "Lettuce"):
            return "vegetable"
    return "unknown"


def main(path):
    with open(path, "rb") as f:
        response = client.label_detection(image=vision.Image(content=f.read()))
    print(categorize(response.label_annotations))


if __name__ == "__main__":
    main(sys.argv[1])
