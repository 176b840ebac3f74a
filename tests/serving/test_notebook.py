"""Code typed into Jupyter/IPython: its cells are not files, but Python keeps their source."""

from __future__ import annotations

import linecache
import textwrap

from google.cloud import vision

import chameleonapi
from chameleonapi.serving.notices import add_listener, remove_listener
from chameleonapi.serving.resolution import spec_for_site

CELL = textwrap.dedent(
    """
    from google.cloud import vision
    client = vision.ImageAnnotatorClient()

    def is_pet(content):
        response = client.label_detection(image=vision.Image(content=content))
        for label in response.label_annotations:
            if label.description in ("Cat", "Dog"):
                return True
        return False
    """
)


def run_cell(source: str, filename: str) -> dict:
    """What IPython does with a cell: keep its source in linecache, compile under a pseudo-name."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict = {"__name__": "__main__"}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102
    return namespace


def test_a_notebook_cell_is_analysed_from_its_source(monkeypatch):
    from tests.serving.test_customize import scene_png

    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "never")
    served: list = []
    add_listener(served.append)
    try:
        with chameleonapi.enabled(["google"]):
            for name in ("<ipython-input-3-5f1c2d>", "/tmp/ipykernel_4242/1234567.py"):
                cell = run_cell(CELL, name)
                cell["is_pet"](scene_png())
                site = served[-1].call_site
                assert site.file == name
                spec = spec_for_site(site)
                assert spec is not None and spec.kind == "true_false"
                assert {label for c in spec.categories for label in c.labels} == {"Cat", "Dog"}
    finally:
        remove_listener(served.append)
    assert vision  # the SDK is importable in this environment
