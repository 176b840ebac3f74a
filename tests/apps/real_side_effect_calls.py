"""Cleaning proof: the branch records the result and does bookkeeping; one outcome."""
import logging

from google.cloud import vision

client = vision.ImageAnnotatorClient()
log = logging.getLogger(__name__)


def award(user, points):
    user.points += points


def verify(proof, user, content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    if any(l.description.lower() in ["broom", "mop", "trash bag"] for l in labels):
        proof.status = "verified"
        proof.save()
        award(user, 10)
        log.info("proof %s verified", proof)
    return proof
