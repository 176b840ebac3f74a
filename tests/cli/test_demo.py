"""`chameleonapi demo`, part 1: the bundled photos labeled through the unchanged Google SDK."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("google.cloud.vision")

ABSTRACT = {"Organism", "Chordate", "Placental", "Instrumentality", "Artifact", "Whole", "Entity"}


def test_the_demo_labels_the_bundled_photos_as_a_labeling_api_would(monkeypatch):
    from chameleonapi.cli.demo import run_label_demo

    monkeypatch.setenv("NO_GCE_CHECK", "true")
    monkeypatch.delenv("CHAMELEONAPI_DATA", raising=False)
    rows = {row["photo"]: [name for name, _ in row["labels"]] for row in run_label_demo(quiet=True)}
    assert "Cat" in rows["chelsea.jpg"][:3] and "Coffee" in rows["coffee.jpg"][:3]
    assert not ABSTRACT & {name for names in rows.values() for name in names[:3]}
