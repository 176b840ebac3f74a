"""Stored photo-detector customizations: the `photo-detectors` shelf of the artifact store.

An entry is `home()/photo-detectors/<key>/` with `head.safetensors` (the two trained head
convolutions; empty when the serving gate kept the generic detector) and `card.json`, with
their `SHA256SUMS`, keyed by the decision (listed classes, threshold, count comparison), the
user's data (a fingerprint of its files), the budget and the COCO weights it starts from.
So a customization runs once per cache folder, and a refused one is not retried.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chameleonapi import config
from chameleonapi.artifacts import Shelf, checksum_path
from chameleonapi.detection.heads import CARD, HEAD, read_entry, write_entry

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.spec import DecisionSpec

__all__ = ["PHOTO_DETECTORS", "customized_photo_detector", "data_fingerprint"]

logger = logging.getLogger("chameleonapi")
VERSION = 1


def _write(folder: Path, artifact: tuple[dict, dict], extra: dict[str, Any]) -> None:
    write_entry(folder, *artifact, extra)


PHOTO_DETECTORS = Shelf("photo-detectors", (CARD, HEAD), read_entry, _write)


def data_fingerprint(root: str | Path) -> str:
    """A hash of the data folder's files (relative path and size): new or changed boxes retrain."""
    base = Path(root)
    digest = hashlib.sha256()
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(base)}\0{path.stat().st_size}\n".encode())
    return digest.hexdigest()[:24]


def customized_photo_detector(spec: DecisionSpec, listed: list[int], threshold: float, data: str,
                              budget_name: str | None = None):
    """The photo detector customized to `spec` on the boxes in `data` (stored once), or None
    when the serving gate keeps the generic detector (said once, with the rates)."""
    from chameleonapi.detection.boxes import load_boxes, split
    from chameleonapi.detection.coco import PhotoDetector, load_network, weights_path
    from chameleonapi.detection.photo_train import PHOTO_BUDGETS, count_spec, customize_photo_detector

    budget = PHOTO_BUDGETS[config.detector_budget(budget_name)]
    op, count = count_spec(spec)
    net = load_network()
    try:
        weights = checksum_path(weights_path()).read_text().split()[0]
    except (OSError, IndexError):  # weights kept in memory only (unwritable cache)
        weights = "in-memory"
    parts = {"v": VERSION, "kind": "photo-chameleon", "listed": sorted(listed), "threshold": round(threshold, 4),
             "count_op": op, "count": count, "provider": spec.provider, "labels": spec.all_labels,
             "data": data_fingerprint(data), "budget": budget.to_dict(),
             "weights": weights}

    def build():
        train, held_out = split(load_boxes(data))
        result = customize_photo_detector(net, train, held_out, spec, listed, threshold, budget)
        return (result.state or {}), result.card

    state, card = PHOTO_DETECTORS.get_or_create(parts, build, in_memory=True)
    if not state:
        rates = card.get("validation", {})
        logger.warning("the customized photo detector is not better than the generic one on held-out photos "
                       "(incorrect decisions %.3f vs %.3f); serving the generic detector",
                       rates.get("customized", float("nan")), rates.get("generic", float("nan")))
        return None
    net.load_state_dict({**net.state_dict(), **state}, strict=True)
    names = ",".join(card.get("listed", []))
    return PhotoDetector(f"chameleon-photo-detector[{names}]", net.eval())
