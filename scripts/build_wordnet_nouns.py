"""Generate chameleonapi/model/data/wordnet_nouns.json.gz from WordNet 3.0.

The table resolves the names users give their photos ("automobile", "kitten", "deer") to
the generic labeler's label space at run time, without a WordNet install: the concrete
noun synsets (hyponyms of "physical entity"), their lemmas and hypernyms, each lemma's
senses in WordNet's order, and the synsets behind every label the generic labeler serves.

Usage: python scripts/build_wordnet_nouns.py WORDNET_DICT_DIR
(WORDNET_DICT_DIR holds data.noun and index.noun, e.g. /usr/share/wordnet from Debian's
wordnet-base.)
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import timm
from build_imagenet_labels import DROP
from wordnet import ancestors, pretty, read_nouns

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "chameleonapi" / "model" / "data" / "wordnet_nouns.json.gz"
PHYSICAL_ENTITY = "00001930"


def read_index(path: Path) -> dict[str, list[str]]:
    """lemma -> noun synset offsets, most frequent sense first."""
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("  "):
                continue
            fields = line.split()
            lemma, n_senses, n_pointers = fields[0], int(fields[2]), int(fields[3])
            out[lemma] = fields[6 + n_pointers : 6 + n_pointers + n_senses]
    return out


def main(wordnet_dir: str) -> None:
    synsets = read_nouns(Path(wordnet_dir) / "data.noun")
    index = read_index(Path(wordnet_dir) / "index.noun")
    info = timm.data.ImageNetInfo()
    imagenet = [info.index_to_label_name(i)[1:] for i in range(1000)]
    wanted = {o for o in synsets if o == PHYSICAL_ENTITY or PHYSICAL_ENTITY in ancestors(o, synsets)}
    for offset in imagenet:
        wanted.update([offset, *ancestors(offset, synsets)])
    kept = sorted(wanted)
    position = {o: i for i, o in enumerate(kept)}
    table = [["|".join(synsets[o][0]), [position[h] for h in synsets[o][1] if h in position]] for o in kept]
    senses = {}
    for lemma, offsets in index.items():
        found = [position[o] for o in offsets if o in position]
        if found:
            senses[lemma] = found
    labels: dict[str, list[int]] = {}
    for offset in imagenet:
        for anc in [offset, *ancestors(offset, synsets)]:
            name = pretty(synsets[anc][0][0])
            if anc == offset or name.lower() not in DROP:
                labels.setdefault(name, [])
                if position[anc] not in labels[name]:
                    labels[name].append(position[anc])
    notice = Path(wordnet_dir).parents[1] / "doc" / "wordnet-base" / "copyright"
    payload = {
        "source": "WordNet 3.0 noun hyponyms of 'physical entity': lemmas, hypernyms, senses",
        "license": notice.read_text(encoding="utf-8") if notice.exists() else "WordNet 3.0 license",
        "synsets": table,
        "senses": senses,
        "label_synsets": labels,
    }
    blob = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    TARGET.write_bytes(gzip.compress(blob, 9, mtime=0))
    print(f"wrote {TARGET} ({len(table)} synsets, {len(senses)} lemmas, {TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/wordnet")
