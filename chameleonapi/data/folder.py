"""An image folder as training data: `root/<label>/<image>`; the folder name is the label.

An image's true labels are its folder's label plus that label's ancestors when the
vocabulary knows it ("kitten/" -> Cat, Feline, Carnivore, ...); unknown folder names are
kept verbatim as new labels.
"""

from __future__ import annotations

from pathlib import Path

from chameleonapi.data.base import FileImages, file_digest, split_of

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def true_labels(names: list[str]) -> frozenset[str]:
    """Canonical labels with ancestors for known names, the names themselves otherwise."""
    from chameleonapi.vocab import Vocabulary

    vocab = Vocabulary.builtin()
    out: set[str] = set()
    for name in names:
        known = vocab.expand([name])
        out.update(known if known else {name})
    return frozenset(out)


class ImageFolder(FileImages):
    """Images under `root/<label>/`, one split chosen by a stable hash of each path."""

    name = "folder"

    def __init__(self, root: Path | str, split: str = "train", *, seed: int = 0, val_fraction: float = 0.15) -> None:
        self.root = Path(root)
        self.split, self.seed = split, seed
        items = []
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for path in sorted(folder.rglob("*")):
                if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
                    rel = path.relative_to(self.root).as_posix()
                    if split_of(rel, seed, val_fraction) == split:
                        items.append((path, folder.name))
        if not items and split == "train":
            raise ValueError(f"no images found under {self.root}/<label>/")
        self.paths = [p for p, _ in items]
        self._labels = [true_labels([label]) for _, label in items]

    def fingerprint(self) -> str:
        return f"folder-{file_digest(self.paths)}-{self.split}-s{self.seed}"
