"""Generate chameleonapi/model/data/animal_vocab.json from WordNet 3.0.

The built-in label vocabulary is API-like: the ten animal-mnist classes plus every WordNet
ancestor of them ("Cat" -> "Feline", "Carnivore", "Mammal", "Animal", ...), minus abstract
roots no labeling API reports. Hypernyms crowd the specific labels out of a top-10 list just
as the real services do, which is what makes decision-aware training matter.

Usage: python scripts/build_animal_vocab.py [WORDNET_DICT_DIR] [COPYRIGHT_FILE]
(WORDNET_DICT_DIR holds data.noun, e.g. /usr/share/wordnet from Debian's wordnet-base.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from wordnet import ancestors, pretty, read_nouns

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "chameleonapi" / "model" / "data" / "animal_vocab.json"
DROP = {"entity", "physical entity", "object", "whole", "living thing", "abstraction"}
# animal-mnist class -> WordNet 3.0 noun synset offset
CLASSES = {
    "bear": "02131653",
    "bird": "01503061",
    "cat": "02121620",
    "cow": "02403454",
    "dog": "02084071",
    "elephant": "02503517",
    "giraffe": "02439033",
    "horse": "02374451",
    "sheep": "02411705",
    "zebra": "02391049",
}
# Everyday words an application may test for, beyond WordNet's own lemmas.
EXTRA_SYNONYMS = {
    "puppy": "Dog", "pup": "Dog", "doggy": "Dog", "doggie": "Dog", "hound": "Dog", "pooch": "Dog",
    "kitten": "Cat", "kitty": "Cat", "tomcat": "Cat", "pussycat": "Cat",
    "pony": "Horse", "foal": "Horse", "stallion": "Horse", "mare": "Horse", "colt": "Horse",
    "lamb": "Sheep", "ewe": "Sheep", "ram": "Sheep",
    "calf": "Cow", "bull": "Cow", "heifer": "Cow", "steer": "Cow", "ox": "Cattle",
    "cub": "Bear",
    "birdie": "Bird", "fowl": "Bird",
    "pet": "Domestic animal", "livestock": "Domestic animal",
    "hoofed animal": "Ungulate", "hoofed mammal": "Ungulate", "wildlife": "Animal",
}


def wordnet_license(copyright_file: Path) -> str:
    """The WordNet 3.0 licence paragraph of Debian's copyright file."""
    text = copyright_file.read_text(encoding="utf-8")
    block = text.split("License: WordNet3.0", 1)[1].split("\nFiles:", 1)[0]
    lines = [line[1:] if line.startswith(" ") else line for line in block.strip("\n").splitlines()]
    return "\n".join("" if line == "." else line for line in lines).strip() + "\n"


def main(wordnet_dir: str, copyright_file: str) -> None:
    synsets = read_nouns(Path(wordnet_dir) / "data.noun")
    classes, labels, synonyms = [], [], {}
    parents: dict[str, list[str]] = {}

    def name_of(offset: str) -> str:
        return pretty(synsets[offset][0][0])

    def record_parents(offset: str, own: str) -> None:
        for hyper in synsets[offset][1]:
            if name_of(hyper).lower() in DROP:
                continue
            parent = name_of(hyper)
            if parent not in parents.setdefault(own, []):
                parents[own].append(parent)
            record_parents(hyper, parent)
    for name, offset in CLASSES.items():
        label = pretty(name)
        record_parents(offset, label)
        anc: list[str] = []
        for hyper in ancestors(offset, synsets):
            lemmas = synsets[hyper][0]
            hyper_label = pretty(lemmas[0])
            if hyper_label.lower() in DROP or hyper_label in anc:
                continue
            anc.append(hyper_label)
            for lemma in lemmas[1:]:
                synonyms.setdefault(lemma.replace("_", " ").lower(), hyper_label)
        for lemma in synsets[offset][0]:
            synonyms.setdefault(lemma.replace("_", " ").lower(), label)
        classes.append({"name": label, "synset": offset, "ancestors": anc})
    labels = [c["name"] for c in classes]
    for c in classes:
        labels.extend(a for a in c["ancestors"] if a not in labels)
    for word, target in EXTRA_SYNONYMS.items():
        synonyms.setdefault(word, target)
    synonyms = {k: v for k, v in sorted(synonyms.items()) if k != v.lower()}
    payload = {
        "source": "WordNet 3.0 hypernyms of the animal-mnist classes",
        "license": "WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.\n\n"
        + wordnet_license(Path(copyright_file)),
        "classes": classes,
        "labels": labels,
        "parents": parents,
        "synonyms": synonyms,
    }
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {TARGET} ({len(classes)} classes, {len(labels)} labels, {len(synonyms)} synonyms)")


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "/usr/share/wordnet",
        sys.argv[2] if len(sys.argv) > 2 else "/usr/share/doc/wordnet-base/copyright",
    )
