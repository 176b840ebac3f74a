"""Grocery sorter: labels come from a helper module, lists from a settings module."""
from settings import FRUIT, VEG
from vision_helpers import get_labels


def aisle(content):
    labels = get_labels(content)
    for name in labels:
        if name in FRUIT:
            return "fruit"
        if name in VEG:
            return "vegetables"
    return None
