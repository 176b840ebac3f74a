"""The user's label names (photo folders, CSV labels) mapped onto the application's labels.

A name maps, first rule that applies:

1. an override: `labels.json` beside the data (`{"rain": "Rain", "misc": null}`) or the
   `label_map` setting (`rain=Rain,misc=`); an empty target means "shows none of the
   application's labels";
2. its own spelling (any case, singular or plural) equals an application label ("metal/"
   for an app that checks "metal");
3. a WordNet sense of the name is one of the application's labels or a kind of one ("roses/"
   for "flower", "automobile/" for "Car"); the name's commonest senses are tried, not only
   the first, against the application word's commonest senses;
4. no sense touches the application's labels: the name's own label (WordNet's first sense)
   stands, and its photos show none of them.

A name whose truth for the decision is unknown is not mapped: WordNet does not know it, or
it is more general than an application label ("flower/" for an app that asks for "rose": a
flower may or may not be a rose). Its photos are never taught as "none of the categories".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from chameleonapi import config
from chameleonapi.model.labelspace import (
    LabelSpace,
    Placement,
    _pretty,
    _synset_ancestors,
    place_sense,
    resolve_name,
    senses_of,
    wordnet,
)
from chameleonapi.vocab import _canon, _singulars

__all__ = ["OVERRIDES_FILE", "NameMap", "app_leaf", "map_names", "overrides_for", "parse_map"]

logger = logging.getLogger("chameleonapi")
OVERRIDES_FILE = "labels.json"
SENSES = 3  # the commonest senses of a word that are read (WordNet lists them commonest first)


@dataclass(frozen=True)
class NameMap:
    """How one user name is read for one application."""

    name: str
    how: str  # override, name, wordnet, own, none; unknown, ambiguous (not mapped)
    label: str  # the name's own label ("" when not mapped or none)
    labels: frozenset[str] | None  # the photo's true labels in the label space; None: unknown
    app_labels: tuple[str, ...] = ()  # the application's labels the name was matched to
    placement: Placement | None = None  # a new leaf the space needs for it

    @property
    def mapped(self) -> bool:
        return self.labels is not None

    def describe(self) -> str:
        if not self.mapped:
            return "not mapped (" + ("WordNet does not know it" if self.how == "unknown" else
                                     "more general than " + ", ".join(self.app_labels)) + ")"
        if self.how == "none":
            return "none of the application's labels (override)"
        target = ", ".join(self.app_labels) if self.app_labels else "none of the application's labels"
        return f"{self.label} -> {target} ({self.how})"


def parse_map(text: str | None) -> dict[str, str | None]:
    """`rain=Rain,misc=` -> {"rain": "Rain", "misc": None} (an empty target: no app label)."""
    out: dict[str, str | None] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, target = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"label map entries are NAME=LABEL (NAME= for none), got {item.strip()!r}")
        out[name.strip()] = target.strip() or None
    return out


def overrides_for(data: str) -> dict[str, str | None]:
    """Overrides of `data`: its `labels.json` (beside a CSV, inside a folder), then the setting."""
    path = Path(str(data))
    found: dict[str, str | None] = {}
    file = (path if path.is_dir() else path.parent) / OVERRIDES_FILE
    if str(data) != "builtin" and file.is_file():
        try:
            raw = json.loads(file.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{file}: not a JSON object of name -> label ({exc})") from None
        if not isinstance(raw, dict) or any(not isinstance(v, (str, type(None))) for v in raw.values()):
            raise ValueError(f"{file}: must be a JSON object of name -> label (or null)")
        found.update({str(k): (v or None) for k, v in raw.items()})
    found.update(parse_map(config.get("label_map")))
    return found


def _keys(text: str) -> list[str]:
    key = _canon(text)
    return [key, *_singulars(key)]


def _with_ancestors(space: LabelSpace, place: Placement) -> frozenset[str]:
    return frozenset([place.label, *(place.ancestors if place.new else space.ancestors(place.label))])


def app_leaf(text: str) -> Placement:
    """Where an application label lives: a label of the generic space, or a new leaf named by
    the application's own word ("metal" -> Metal, never WordNet's "Metallic element")."""
    place = resolve_name(text)
    if not place.new:
        return place
    return Placement(text, _pretty(text), place.ancestors, new=True, known=place.known)


def map_name(name: str, app_labels: Iterable[str], overrides: dict[str, str | None] | None = None) -> NameMap:
    """How the photos named `name` are read for an application deciding on `app_labels`."""
    space = LabelSpace.generic()
    app = list(dict.fromkeys(app_labels))
    by_key = {k: a for a in app for k in _keys(a)}
    override = {_canon(k): v for k, v in (overrides or {}).items()}
    word, how = name, "name"
    if _canon(name) in override:
        target = override[_canon(name)]
        if target is None:
            return NameMap(name, "none", "", frozenset())
        if not any(k in by_key for k in _keys(target)):
            place = resolve_name(target)
            return NameMap(name, "override", place.label, _with_ancestors(space, place), (), place if place.new else None)
        word, how = target, "override"
    hit = next((by_key[k] for k in _keys(word) if k in by_key), None)
    if hit is not None:
        place = app_leaf(hit)
        return NameMap(name, how, place.label, _with_ancestors(space, place), (hit,), place if place.new else None)
    table = wordnet()
    # both words are read in their common senses only: "glass" is not slang for a drug, a
    # "cat/" folder is not a Caterpillar tractor
    app_senses = {a: set(senses_of(a)[:SENSES]) for a in app}
    mine = senses_of(name)[:SENSES]
    for synset in mine:
        ups = {synset, *_synset_ancestors(synset, table)}
        hits = tuple(a for a in app if app_senses[a] & ups)
        if hits:
            place = place_sense(name, synset)
            labels = set(_with_ancestors(space, place))
            for a in hits:
                labels |= _with_ancestors(space, app_leaf(a))
            return NameMap(name, "wordnet", place.label, frozenset(labels), hits, place if place.new else None)
    broader = tuple(a for a in app if any(set(mine) & set(_synset_ancestors(s, table)) for s in app_senses[a]))
    if broader:
        return NameMap(name, "ambiguous", "", None, broader)
    place = resolve_name(name)
    if not place.known:
        return NameMap(name, "unknown", "", None)
    return NameMap(name, "own", place.label, _with_ancestors(space, place), (), place if place.new else None)


def map_names(names: Iterable[str], app_labels: Iterable[str],
              overrides: dict[str, str | None] | None = None) -> dict[str, NameMap]:
    app = list(app_labels)
    return {name: map_name(name, app, overrides) for name in dict.fromkeys(names)}
