"""Generate chameleonapi/model/data/imagenet_labels.json from WordNet 3.0.

Each ImageNet-1k class gets a Google-style label ("Tabby cat") and the labels of its WordNet
ancestors ("Cat", "Feline", "Mammal", "Animal"), the way a cloud labeling API reports
hypernyms beside the specific label.

Usage: python scripts/build_imagenet_labels.py WORDNET_DICT_DIR
(WORDNET_DICT_DIR holds data.noun, e.g. /usr/share/wordnet from Debian's wordnet-base.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import timm

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "chameleonapi" / "model" / "data" / "imagenet_labels.json"
# Abstract roots that no labeling API reports.
DROP = {
    "entity", "physical entity", "abstraction", "object", "whole", "living thing",
    "physical object", "unit", "matter", "thing", "causal agent", "part", "relation",
    "psychological feature", "attribute", "group", "measure", "communication",
}


def read_nouns(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """offset -> (lemmas, hypernym offsets)."""
    synsets = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("  "):
                continue
            fields = line.split(" | ")[0].split()
            offset, n_words = fields[0], int(fields[3], 16)
            lemmas = [fields[4 + 2 * i] for i in range(n_words)]
            rest = fields[4 + 2 * n_words :]
            n_ptrs = int(rest[0])
            hypers = []
            for i in range(n_ptrs):
                symbol, target, pos = rest[1 + 4 * i : 4 + 4 * i]
                if symbol in ("@", "@i") and pos == "n":
                    hypers.append(target)
            synsets[offset] = (lemmas, hypers)
    return synsets


def pretty(lemma: str) -> str:
    text = lemma.replace("_", " ")
    text = text.split("(")[0].strip()
    return text[:1].upper() + text[1:]


def leaf_label(lemmas: list[str]) -> str:
    """Prefer the qualified form a labeling API would print: 'tabby' -> 'Tabby cat'."""
    first = lemmas[0]
    for other in lemmas[1:]:
        if other.lower().startswith(first.lower() + "_"):
            return pretty(other)
    return pretty(first)


def ancestors(offset: str, synsets: dict) -> list[str]:
    seen: list[str] = []
    stack = list(synsets[offset][1])
    while stack:
        current = stack.pop(0)
        if current in seen:
            continue
        seen.append(current)
        stack.extend(synsets[current][1])
    return seen


def main(wordnet_dir: str) -> None:
    synsets = read_nouns(Path(wordnet_dir) / "data.noun")
    info = timm.data.ImageNetInfo()
    classes = []
    for index in range(1000):
        wnid = info.index_to_label_name(index)
        offset = wnid[1:]
        lemmas, _ = synsets[offset]
        names: list[str] = []
        for anc in ancestors(offset, synsets):
            name = pretty(synsets[anc][0][0])
            if name.lower() not in DROP and name not in names:
                names.append(name)
        classes.append({"wnid": wnid, "label": leaf_label(lemmas), "ancestors": names})
    notice = (Path(wordnet_dir).parents[1] / "doc" / "wordnet-base" / "copyright")
    payload = {
        "source": "WordNet 3.0 hypernyms of the ImageNet-1k synsets",
        "license": notice.read_text(encoding="utf-8") if notice.exists() else "WordNet 3.0 license",
        "classes": classes,
    }
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(payload, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {TARGET} ({len(classes)} classes)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/wordnet")
