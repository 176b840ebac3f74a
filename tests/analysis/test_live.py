"""Names the source cannot resolve are read from the running program at its first call:
plain data only, and without running any of the application's code."""

from __future__ import annotations

import logging
import sys

import pytest

from chameleonapi.analysis import analyze
from chameleonapi.analysis.live import MISSING, LiveScope
from tests.apploader import load_app
from tests.images import photo
from tests.paths import APPS


@pytest.fixture
def serving_env(monkeypatch):
    """First calls analyse (train=auto); no photos are configured, so nothing is trained."""
    monkeypatch.setenv("CHAMELEONAPI_TRAIN", "auto")
    monkeypatch.delenv("CHAMELEONAPI_DATA", raising=False)
    return monkeypatch


def test_the_static_reading_leaves_a_json_loaded_list_unresolved() -> None:
    (spec,) = analyze(APPS / "miss_runtime_json.py")
    assert spec.partial and spec.categories[0].labels == ()
    assert any("run time" in r for r in spec.reasons)


def test_a_list_loaded_from_json_at_import_is_resolved_at_the_first_call(google_calls, caplog) -> None:
    from chameleonapi.serving.resolution import specs_at

    app = load_app(APPS / "miss_runtime_json.py", "chameleonapi_test_live_json")
    with caplog.at_level(logging.INFO, logger="chameleonapi"):
        app.allowed(photo("astronaut"))
    site = google_calls[0].call_site
    messages = [r.getMessage() for r in caplog.records if r.name == "chameleonapi"]
    assert not any("only partly known" in m for m in messages), messages
    assert any("no photos configured" in m for m in messages), messages  # the decision was complete
    (spec,) = specs_at(site)  # what the first call's analysis found
    assert not spec.partial
    assert spec.categories[0].labels == ("Tulip", "Rose", "Daisy")
    assert not site.live.active  # the frame is not kept once the call is served


SIDE_EFFECTS = '''
from google.cloud import vision

client = vision.ImageAnnotatorClient()
TOUCHED = []
SEEN = []


class Settings:
    @property
    def labels(self):
        TOUCHED.append("property")
        return ["Cat"]

    def __getattr__(self, name):
        TOUCHED.append(name)
        return ["Dog"]


settings = Settings()


def has_pet(content):
    labels = client.label_detection(image=vision.Image(content=content)).label_annotations
    SEEN.append(list(TOUCHED))  # what ran before the app's own code below
    return any(l.description in settings.labels or l.description in settings.others for l in labels)
'''


def test_no_application_code_runs_while_the_live_values_are_read(google_calls, tmp_path) -> None:
    from chameleonapi.serving.resolution import specs_at

    path = tmp_path / "side_effect_app.py"
    path.write_text(SIDE_EFFECTS)
    app = load_app(path, "chameleonapi_test_live_side_effects")
    app.has_pet(photo("astronaut"))
    assert app.SEEN == [[]]  # neither the property nor __getattr__ ran during the analysis
    (spec,) = specs_at(google_calls[0].call_site)
    assert spec.partial and all(not c.labels for c in spec.categories)


class _Listish(list):
    def __iter__(self):
        raise AssertionError("a subclass's code must not run")


class _OwnDict:
    @property
    def __dict__(self):
        raise AssertionError("a class-defined __dict__ must not run")


class _Plain:
    def __init__(self) -> None:
        self.labels = ["Cat", "Dog"]
        self.limits = {"Cat": 0.5}


def test_only_plain_containers_of_strings_and_numbers_are_taken() -> None:
    config = _Plain()
    listish = _Listish(["x"])
    own = _OwnDict()
    nested = {"a": [1, 2.5, "b", (True, None)]}
    mixed = ["Cat", object()]
    live = LiveScope(sys._getframe())  # these are this function's locals
    assert live.value("nested", local=True) == nested
    assert live.value("config.labels", local=True) == ["Cat", "Dog"]
    assert live.value("config.limits", local=True) == {"Cat": 0.5}
    assert live.value("listish", local=True) is MISSING
    assert live.value("own.labels", local=True) is MISSING
    assert live.value("mixed", local=True) is MISSING
    assert live.value("config.missing", local=True) is MISSING
    live.release()
    assert live.value("nested", local=True) is MISSING
    del config, listish, own, nested, mixed


def _frame_of(module):
    """A frame whose globals are the loaded app's (what its own call site would hold)."""
    namespace = module.__dict__
    exec(compile("import sys as _sys\ndef _here():\n    return _sys._getframe()\n", module.__file__, "exec"), namespace)
    return namespace.pop("_here")()


def test_dict_items_read_at_import_become_one_category_per_key(monkeypatch) -> None:
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.setattr("google.auth.default", lambda *a, **k: (AnonymousCredentials(), "test"))
    (static,) = analyze(APPS / "miss_runtime_items.py")
    assert static.kind == "multi_choice" and static.partial  # one category per key, known only at run time
    app = load_app(APPS / "miss_runtime_items.py", "chameleonapi_test_live_items")
    (spec,) = analyze(APPS / "miss_runtime_items.py", live=LiveScope(_frame_of(app)))
    assert not spec.partial
    assert [(c.name, c.labels) for c in spec.categories] == [("flowers", ("tulip", "rose")), ("trees", ("oak", "pine"))]
    assert spec.decide([("Oak", 0.9), ("Rose", 0.8)]) == "trees"


def test_a_helper_modules_call_is_decided_by_its_caller(google_calls, caplog) -> None:
    """The SDK call is in a helper module that hands the labels back; the first call finds
    the decision in the module that called the helper."""
    from chameleonapi.serving.resolution import specs_at

    folder = APPS / "g_helper_pkg"
    sys.path.insert(0, str(folder))
    try:
        app = load_app(folder / "app.py", "chameleonapi_test_helper_caller")
        with caplog.at_level(logging.INFO, logger="chameleonapi"):
            app.aisle(photo("astronaut"))
    finally:
        sys.path.remove(str(folder))
        for name in ("settings", "vision_helpers"):
            sys.modules.pop(name, None)
    site = google_calls[0].call_site
    assert site.file.endswith("vision_helpers.py")
    (spec,) = specs_at(site)
    assert [c.name for c in spec.categories] == ["fruit", "vegetables"]
    messages = [r.getMessage() for r in caplog.records if r.name == "chameleonapi"]
    assert not any("no decision found" in m for m in messages), messages
