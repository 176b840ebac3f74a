"""`chameleonapi demo`: the bundled photos labeled through the unchanged Google SDK, then the pet door
answered by the generic model and by the model customized on its first call."""

from __future__ import annotations

import json

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


def test_the_demo_runs_end_to_end_and_the_customized_pet_door_errs_less(monkeypatch, capsys):
    """`chameleonapi demo` in its quick form (smallest budget, fewer held-out scenes): the
    generic answers come first, then both incorrect-decision rates, the customized one lower."""
    pytest.importorskip("astroid")
    from chameleonapi.cli import main
    from chameleonapi.data.animal_mnist import BuiltinDataMissing, package_dir

    try:
        package_dir()
    except BuiltinDataMissing as exc:
        pytest.skip(str(exc))
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    monkeypatch.delenv("CHAMELEONAPI_DATA", raising=False)
    monkeypatch.delenv("CHAMELEONAPI_BUDGET", raising=False)

    assert main(["demo", "--budget", "tiny", "--test-scenes", "200", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "chelsea.jpg" in out and "Cat" in out.split("chelsea.jpg")[1].splitlines()[0]
    door = out.split("generic labeler:")[1].splitlines()
    assert "opens" in next(line for line in door if "chelsea.jpg" in line)
    assert "stays shut" in next(line for line in door if "coffee.jpg" in line)
    generic_first = out.index("incorrect-decision rate of the pet door, generic model")
    assert generic_first < out.index("customized model ready")
    table = out.split("incorrect-decision rate of the pet door on held-out scenes")[1].splitlines()[1:3]
    rates = {line.split()[0]: float(line.split()[-1]) for line in table}
    assert set(rates) == {"generic", "chameleonapi"}
    assert rates["chameleonapi"] < rates["generic"]

    assert main(["demo", "--budget", "tiny", "--test-scenes", "200", "--no-progress", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["pet_door_photos"]["chelsea.jpg"] and not result["pet_door_photos"]["rocket.jpg"]
    custom = result["customization"]
    assert (custom["budget"], custom["test_scenes"]) == ("tiny", 200)
    assert (custom["generic"], custom["chameleonapi"]) == (rates["generic"], rates["chameleonapi"])
