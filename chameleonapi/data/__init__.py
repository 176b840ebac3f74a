"""Datasets for customization: built-in animal scenes, image folders, Open Images CSVs.

Every source gives images with their true label sets (canonical vocabulary labels plus
ancestors), through the `ImageDataset` interface customization consumes.
"""

from chameleonapi.data.base import ImageDataset
from chameleonapi.data.sources import load_dataset

__all__ = ["ImageDataset", "load_dataset"]
