"""Build chameleonapi/model/data/cloud_vocab.json: which labels a cloud labeling API would show.

Reads the Open Images V6 class list (names and Google Knowledge Graph MIDs; CC BY 4.0,
Google LLC) from a folder (by default ../shared/data/openimages-labels) and the shipped
ImageNet label table. A label of the generic label space is shown when it is an ImageNet
class or an ancestor whose name Open Images also uses ("Cat", "Mammal", "Vehicle"), unless
it is one of the abstract WordNet internals no labeling API reports; every label Open Images
names gets its MID. The detector's COCO classes are added with theirs. The Open Images box
hierarchy (each boxable class's subcategories) is kept, for names that stand for a group.

    python scripts/build_cloud_vocab.py [--openimages DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "chameleonapi" / "model" / "data" / "cloud_vocab.json"
DEFAULT_OI = ROOT.parent / "shared" / "data" / "openimages-labels"

# Open Images names that are WordNet internals or too abstract to be an answer.
ABSTRACT = {
    "Artifact", "Organism", "Commodity", "Structure", "System", "Craft", "Game", "Top", "Fluid", "Liquid",
    "Solid", "Whole", "Entity", "Object", "Matter", "Piece", "Article", "Agent", "Course", "Drug", "Substance",
    "Instrumentality", "Device", "Covering", "Conveyance", "Equipment", "Implement", "Instrument", "Support",
    "Mechanism", "Durables", "Consumer goods", "Natural object", "Living thing", "Physical entity", "Abstraction",
    "Chordate", "Placental", "Seed", "Container", "Cutter", "Wagon", "Memorial", "Peripheral",
}
LICENSE = ("Open Images V6 class descriptions (names and Knowledge Graph MIDs), CC BY 4.0, Google LLC. "
           "Kuznetsova et al., \"The Open Images Dataset V4\", IJCV 2020. Label structure: WordNet 3.0 "
           "(see imagenet_labels.json).")


def read_openimages(folder: Path) -> dict[str, tuple[str, str]]:
    """casefolded name -> (MID, display name); the boxable names win over the long list's."""
    names: dict[str, tuple[str, str]] = {}
    with open(folder / "class-descriptions-boxable.csv", encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) == 2:
                names.setdefault(row[1].strip().casefold(), (row[0], row[1].strip()))
    with open(folder / "oidv6-class-descriptions.csv", encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        for row in rows:
            if len(row) == 2:
                names.setdefault(row[1].strip().casefold(), (row[0], row[1].strip()))
    return names


def read_hierarchy(folder: Path, oi: dict[str, tuple[str, str]]) -> dict[str, list[str]]:
    """Each boxable class with subcategories -> their display names (the Open Images box
    hierarchy: "Land vehicle" -> Car, Bus, Bicycle, ...), for labels named by a group."""
    names = {mid: name for name, (mid, _) in ((n, v) for n, v in oi.items())}
    with open(folder / "class-descriptions-boxable.csv", encoding="utf-8", newline="") as handle:
        names.update({row[0]: row[1].strip() for row in csv.reader(handle) if len(row) == 2})
    tree = json.loads((folder / "bbox_labels_600_hierarchy.json").read_text(encoding="utf-8"))
    children: dict[str, list[str]] = {}

    def walk(node: dict) -> None:
        subs = node.get("Subcategory", [])
        if subs and node["LabelName"] in names:
            mine = children.setdefault(names[node["LabelName"]], [])
            mine += [names[s["LabelName"]] for s in subs if s["LabelName"] in names and names[s["LabelName"]] not in mine]
        for sub in subs:
            walk(sub)

    walk(tree)
    return dict(sorted(children.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--openimages", type=Path, default=DEFAULT_OI)
    args = parser.parse_args()
    import sys

    sys.path.insert(0, str(ROOT))
    from chameleonapi.detection.coco import COCO_NAMES
    from chameleonapi.model.generic import label_membership, label_table

    oi = read_openimages(args.openimages)
    labels, members = label_membership()
    leaves = {entry["label"] for entry in label_table()["classes"]}
    mids: dict[str, str] = {}
    shown: list[str] = []
    for label in labels:
        found = oi.get(label.casefold())
        if found:
            mids[label] = found[0]
        if label not in ABSTRACT and (label in leaves or found):
            shown.append(label)
    for name in COCO_NAMES:
        if name.casefold() in oi:
            mids[name] = oi[name.casefold()][0]
    # nearest shown ancestors of every label (by the leaves they cover), for the ranking
    sets = {label: frozenset(m) for label, m in zip(labels, members)}
    shown_set = set(shown)
    parents: dict[str, list[str]] = {}
    for label in labels:
        mine = sets[label]
        above = [a for a in shown if a != label and mine < sets[a]]
        nearest = [a for a in above if not any(b != a and sets[b] < sets[a] and mine < sets[b] for b in above)]
        if nearest:
            parents[label] = sorted(nearest)
    table = {
        "source": "scripts/build_cloud_vocab.py",
        "license": LICENSE,
        "shown": [label for label in labels if label in shown_set],
        "breadth": {label: len(sets[label]) for label in labels},
        "parents": parents,
        "mids": dict(sorted(mids.items())),
        "openimages_children": read_hierarchy(args.openimages, oi),
    }
    OUT.write_text(json.dumps(table, indent=0, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(shown)} of {len(labels)} labels shown, {len(mids)} MIDs")


if __name__ == "__main__":
    main()
