"""Folder names read for an application: its own words first, then WordNet senses that
connect, then overrides; photos of unknown truth are never taught as "none of the categories"."""

from __future__ import annotations

import json
import logging

import pytest

from chameleonapi.training.names import map_names, overrides_for, parse_map
from tests.training.test_photos import PET_DOOR, photo_folder

RECYCLING = ["paper", "cardboard", "metal", "aluminum", "tin", "plastic", "glass", "carton"]


def test_a_folder_named_as_the_apps_word_maps_to_it_not_to_wordnets_first_sense():
    names = map_names(["metal", "trash", "glass", "aluminium"], RECYCLING)
    metal = names["metal"]
    assert metal.mapped and metal.app_labels == ("metal",) and metal.label == "Metal"
    assert "Metallic element" not in metal.labels
    assert names["glass"].app_labels == ("glass",)
    # a later WordNet sense connects the folder to the app's words: aluminium is a metal
    assert names["aluminium"].how == "wordnet" and "metal" in names["aluminium"].app_labels
    # "trash" is rubbish; its slang sense (a drug also called "glass") is not the app's glass
    assert names["trash"].mapped and names["trash"].app_labels == ()
    # nor is a cat a vehicle, though "cat" is also a name of a Caterpillar tractor
    cat = map_names(["cat", "truck"], ["Vehicle", "Car"])
    assert cat["cat"].app_labels == () and "Vehicle" not in cat["cat"].labels and cat["cat"].label == "Cat"
    assert cat["truck"].app_labels == ("Vehicle",)


def test_senses_connect_folders_to_broader_app_labels_and_broader_folders_are_unknown():
    names = map_names(["automobile", "roses", "plants", "zorgblat", "cat"], ["Car", "Vehicle", "rose", "Cat"])
    assert names["automobile"].how == "wordnet" and set(names["automobile"].app_labels) == {"Car", "Vehicle"}
    assert names["roses"].app_labels == ("rose",) and names["cat"].app_labels == ("Cat",)
    # a plant may or may not be a rose; WordNet does not know zorgblat: neither is mapped
    assert not names["plants"].mapped and names["plants"].how == "ambiguous"
    assert not names["zorgblat"].mapped and names["zorgblat"].how == "unknown"


def test_overrides_come_from_labels_json_and_the_label_map_setting(tmp_path, monkeypatch):
    (tmp_path / "labels.json").write_text(json.dumps({"zorgblat": "metal", "trash": None}))
    monkeypatch.setenv("CHAMELEONAPI_LABEL_MAP", "shiny=aluminum,flowers=")
    overrides = overrides_for(str(tmp_path))
    assert overrides == {"zorgblat": "metal", "trash": None, "shiny": "aluminum", "flowers": None}
    names = map_names(["zorgblat", "trash", "shiny", "flowers"], RECYCLING, overrides)
    assert names["zorgblat"].app_labels == ("metal",) and names["zorgblat"].how == "override"
    assert names["shiny"].app_labels == ("aluminum",)
    assert names["trash"].labels == frozenset() and names["flowers"].mapped  # shows none of the app's labels
    with pytest.raises(ValueError):
        parse_map("rain")


def test_photos_of_an_unknown_name_are_reported_once_and_never_taught_as_other(tmp_path, caplog):
    from chameleonapi.analysis import analyze
    from chameleonapi.data import load_dataset
    from chameleonapi.training.pipeline import train

    data = photo_folder(tmp_path / "photos", {"cat": "chelsea", "coffee": "coffee", "zorgblat": "chelsea"}, count=12)
    app = tmp_path / "pet_door_names.py"
    app.write_text(PET_DOOR)
    spec = analyze(str(app))[0]
    with caplog.at_level(logging.WARNING, logger="chameleonapi"):
        model = train(spec, str(data), budget="tiny", progress=False)
        train(spec, str(data), budget="tiny", progress=False)
    said = [r.getMessage() for r in caplog.records if "zorgblat" in r.getMessage()]
    assert len(said) == 1 and "labels.json" in said[0]
    card = model.card
    unknown = sum(p.parent.name == "zorgblat" for s in ("train", "val") for p in load_dataset(str(data), s).paths)
    assert card["data"]["unmapped"] == ["zorgblat"] and card["data"]["unused_photos"] == unknown == 12
    # every photo of the known folders is used (train + validation), none of zorgblat's
    assert card["metrics"]["final_examples"] == 24
    assert card["training"]["classes"] == 2
