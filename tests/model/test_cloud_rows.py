"""The served answer built from score rows (`model.cloud_rows`) is exactly the one `present` and
`with_aliases` build from the engine's ranked list: same labels, same order, same scores."""

from __future__ import annotations

import io
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from chameleonapi.model.cloud_rows import LabelRows, label_rows, ranked_row
from chameleonapi.model.cloud_vocab import CONFIDENT, FLOORS, alias_target, present, with_aliases
from tests.images import photo
from tests.paths import SHARED

PHOTOS = Path(str(resources.files("chameleonapi.examples").joinpath("images")))


def reference(row, names, keep=frozenset(), floor=0.0, exempt=frozenset(), texts=(), resolve=None,
              min_score=None, limit=None, fixed=None):
    """What a served call answered before: rank every label, present, add aliases, cut."""
    ranked = ranked_row(row, names)
    shown = present(ranked, keep, floor, exempt, fixed)
    shown = with_aliases(shown, dict(ranked), texts, resolve, floor) if texts else shown
    if min_score is not None:
        shown = [kv for kv in shown if kv[1] >= min_score]
    return shown if limit is None else shown[:limit]


def real_photos() -> list:
    from PIL import Image

    images = [Image.open(p) for p in sorted(PHOTOS.glob("*.jpg"))]
    images += [Image.open(io.BytesIO(photo(name))) for name in ("chelsea", "coffee", "astronaut", "rocket")]
    for folder in ("coco128-train/images", "flowers/train/daisy", "cifar10-train/dog"):
        images += [Image.open(p) for p in sorted((SHARED / "data" / folder).glob("*.jpg"))[:6]]
    return [image.convert("RGB") for image in images]


@pytest.fixture(scope="module")
def scored():
    """The generic labeler's score rows of real photos, and its label names."""
    from chameleonapi.model.generic import GenericLabeler

    model = GenericLabeler()
    return np.asarray(model.predict(real_photos())), list(model.labels)


def test_rows_equal_present_on_real_photos(scored):
    matrix, names = scored
    rows = label_rows(names)
    assert rows is label_rows(list(names))  # built once per label list
    confident = 0
    for row in matrix:
        confident += bool((row >= CONFIDENT).any())
        top = [name for name, _ in ranked_row(row, names, 12)]
        keep = frozenset(top[1::3] + ["Cat", "Organism"])
        texts = ["automobile", "CAT", top[4].upper(), "Pug Dog", "no such thing", top[4].upper(), "Land vehicle"]
        resolve = alias_target
        for floor, exempt, min_score, limit in [(0.0, frozenset(), None, None), (FLOORS["google"], frozenset(), None, 10),
                                                (0.0, keep, 0.1, None), (0.5, keep, 0.549999, 3), (0.2, keep, None, 0),
                                                (0.0, frozenset(), 0.549999, None), (0.0, frozenset(), 0.1, 3)]:
            for k, fixed in ((frozenset(), None), (keep, None), (keep, frozenset())):
                for t in ((), texts):
                    got = rows.answer(row, k, floor, exempt, t, resolve, min_score=min_score, limit=limit, fixed=fixed)
                    assert got == reference(row, names, k, floor, exempt, t, resolve, min_score, limit, fixed)
    assert confident >= 3  # capped labels below confident ones were exercised


def test_rows_equal_present_on_rows_that_cap_and_tie():
    """Made-up rows over the real label table: ties, confident kept labels, repeated names,
    labels the table does not know, scores outside [0, 1]."""
    from chameleonapi.model.generic import label_membership

    names, _ = label_membership()
    names = [*names[:600], "My own label", names[10], names[20]]  # two names twice
    rng = np.random.default_rng(0)
    rows = LabelRows(names)
    for trial in range(40):
        row = rng.random(len(names)).astype(np.float32) ** 8
        hot = rng.choice(len(names), size=12, replace=False)
        row[hot] = rng.choice([0.8, 0.85, 0.9, 0.99, 1.0, 1.02], size=12).astype(np.float32)
        row[rng.choice(len(names), size=30)] = 0.5  # ties at the floor
        row[-1] = row[10] if trial % 2 else row[-1]
        row[3] = -0.01
        keep = frozenset(names[i] for i in rng.choice(len(names), size=8)) | {names[int(hot[0])]}
        texts = [names[5].lower(), "My Own Label", names[int(hot[1])], "zebra"]
        resolve = {t: names[(i * 37) % len(names)] for i, t in enumerate(texts)}.get
        for floor, exempt, min_score, limit in [(0.0, frozenset(), None, None), (0.5, keep, None, 10),
                                                (0.5, frozenset(), 0.6, 5), (0.0, frozenset(), 0.1, None),
                                                (0.5, frozenset(), None, None), (0.3, frozenset(), 0.549999, 0),
                                                (0.0, frozenset(), 0.85, None)]:
            fixed = None if trial % 2 else frozenset(list(keep)[:3])  # a generic model's decision labels are lifted
            got = rows.answer(row, keep, floor, exempt, texts, resolve, min_score=min_score, limit=limit, fixed=fixed)
            assert got == reference(row, names, keep, floor, exempt, texts, resolve, min_score, limit, fixed)
