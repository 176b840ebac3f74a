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
from wordnet import ancestors, pretty, read_nouns

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "chameleonapi" / "model" / "data" / "imagenet_labels.json"
# Abstract roots that no labeling API reports.
DROP = {
    "entity", "physical entity", "abstraction", "object", "whole", "living thing",
    "physical object", "unit", "matter", "thing", "causal agent", "part", "relation",
    "psychological feature", "attribute", "group", "measure", "communication",
}


def leaf_label(lemmas: list[str]) -> str:
    """Prefer the qualified form a labeling API would print: 'tabby' -> 'Tabby cat'."""
    first = lemmas[0]
    for other in lemmas[1:]:
        if other.lower().startswith(first.lower() + "_"):
            return pretty(other)
    return pretty(first)


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
