"""The label vocabulary: provider label strings <-> model output columns.

A cloud labeling API answers with specific labels and their hypernyms ("Cat", "Feline",
"Mammal", "Animal", ...). The vocabulary stores those labels in canonical Title case, knows
each label's ancestors (WordNet 3.0), matches any case, plurals and common synonyms, and
resolves an application's `DecisionSpec` to the model columns each category depends on. App
strings it cannot map are reported, never silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from chameleonapi import services

if TYPE_CHECKING:  # pragma: no cover

    from chameleonapi.spec import DecisionSpec

VOCAB_FILE = "animal_vocab.json"


def provider_style(label: str, provider: str = "") -> str:
    """How a provider prints a label, per its descriptor: Google keeps the model's "Tabby cat",
    Azure prints "tabby cat", Rekognition "Tabby Cat"; no or an unknown provider keeps it."""
    return services.style(label, provider)


def _canon(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


def _singulars(word: str) -> list[str]:
    """Plausible singular forms of an English plural ("cats", "ponies", "foxes")."""
    out = []
    if word.endswith("ies"):
        out.append(word[:-3] + "y")
    if word.endswith("es"):
        out.append(word[:-2])
    if word.endswith("s"):
        out.append(word[:-1])
    return out


@dataclass
class Resolution:
    """A spec resolved against the vocabulary.

    `output_names` are the names the model reports (vocabulary labels in the provider's
    style, then aliases for app strings that only a synonym maps); `source[j]` is the
    vocabulary column that output j reports; `columns[c]` lists the output indices that
    select category c; `unmapped` are app strings the model cannot produce.
    """

    output_names: list[str]
    source: list[int]
    columns: list[list[int]]
    unmapped: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)


class Vocabulary:
    """Canonical labels, their ancestors, and a case/plural/synonym-aware lookup."""

    def __init__(
        self,
        labels: Sequence[str],
        parents: dict[str, list[str]] | None = None,
        synonyms: dict[str, str] | None = None,
        classes: Sequence[str] = (),
    ) -> None:
        self.labels = list(dict.fromkeys(labels))
        self.parents = {k: list(v) for k, v in (parents or {}).items()}
        self.classes = list(classes)
        self._index = {label: i for i, label in enumerate(self.labels)}
        self._by_key = {_canon(label): label for label in self.labels}
        self._synonyms = {_canon(k): v for k, v in (synonyms or {}).items() if v in self._index}

    @classmethod
    def builtin(cls) -> Vocabulary:
        """The ten animal-mnist classes and their WordNet ancestors (30 labels)."""
        return _builtin()

    def extended(self, extra: Iterable[str]) -> Vocabulary:
        """This vocabulary plus labels found in user data (unknown strings become labels)."""
        new = [label for label in extra if self.lookup(label) is None]
        if not new:
            return self
        return Vocabulary(self.labels + new, self.parents, dict(self._synonyms), self.classes)

    def __len__(self) -> int:
        return len(self.labels)

    def __contains__(self, label: object) -> bool:
        return isinstance(label, str) and self.lookup(label) is not None

    def index(self, label: str) -> int:
        """Column of a label (any spelling the lookup accepts); KeyError if unknown."""
        found = self.lookup(label)
        if found is None:
            raise KeyError(label)
        return self._index[found]

    def lookup(self, text: str) -> str | None:
        """The canonical label an app string means: any case, plural or synonym."""
        key = _canon(text)
        for candidate in [key, *_singulars(key)]:
            if candidate in self._by_key:
                return self._by_key[candidate]
            if candidate in self._synonyms:
                return self._synonyms[candidate]
        return None

    def ancestors(self, label: str) -> list[str]:
        """Every hypernym of a label, nearest first."""
        found = self.lookup(label) or label
        out: list[str] = []
        queue = list(self.parents.get(found, []))
        while queue:
            current = queue.pop(0)
            if current not in out:
                out.append(current)
                queue.extend(self.parents.get(current, []))
        return out

    def expand(self, labels: Iterable[str]) -> frozenset[str]:
        """Canonical labels plus all their ancestors (an image's full API-style truth)."""
        out: set[str] = set()
        for label in labels:
            found = self.lookup(label)
            if found is None:
                continue
            out.add(found)
            out.update(a for a in self.ancestors(found) if a in self._index)
        return frozenset(out)

    def resolve(self, spec: DecisionSpec) -> Resolution:
        """Map each category of `spec` to model outputs, honouring `spec.match`.

        A vocabulary label selects a category when `spec.label_matches` accepts its
        provider-styled name (exact, casefold, substring...). An app string that matches no
        label but means one (a synonym such as "puppy") gets an alias output that reports
        that label's score under the app's own string, so the app can actually see it.
        """
        names = [provider_style(label, spec.provider) for label in self.labels]
        source = list(range(len(self.labels)))
        aliases: dict[str, str] = {}
        columns: list[list[int]] = []
        unmapped: list[str] = []
        for category in spec.categories:
            cols: list[int] = []
            for text in category.labels:
                hits = [j for j, name in enumerate(names[: len(self.labels)]) if spec.label_matches(name, text)]
                if not hits:
                    target = self.lookup(text)
                    if target is None:
                        if text not in unmapped:
                            unmapped.append(text)
                        continue
                    if text not in names:
                        names.append(text)
                        source.append(self._index[target])
                        aliases[text] = target
                    hits = [names.index(text)]
                cols.extend(j for j in hits if j not in cols)
            columns.append(cols)
        return Resolution(names, source, columns, unmapped, aliases)


@lru_cache(maxsize=1)
def vocab_table() -> dict:
    """The shipped vocabulary JSON (WordNet 3.0 derived; licence in its "license" field)."""
    text = (resources.files("chameleonapi.model") / "data" / VOCAB_FILE).read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _builtin() -> Vocabulary:
    table = vocab_table()
    return Vocabulary(
        table["labels"],
        table["parents"],
        table["synonyms"],
        [c["name"] for c in table["classes"]],
    )
