"""WordNet 3.0 noun database reader shared by the label-table generators."""

from __future__ import annotations

from pathlib import Path


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
            hypers = []
            for i in range(int(rest[0])):
                symbol, target, pos = rest[1 + 4 * i : 4 + 4 * i]
                if symbol in ("@", "@i") and pos == "n":
                    hypers.append(target)
            synsets[offset] = (lemmas, hypers)
    return synsets


def pretty(lemma: str) -> str:
    text = lemma.replace("_", " ").split("(")[0].strip()
    return text[:1].upper() + text[1:]


def ancestors(offset: str, synsets: dict) -> list[str]:
    """All hypernym offsets, breadth first (nearest first)."""
    seen: list[str] = []
    queue = list(synsets[offset][1])
    while queue:
        current = queue.pop(0)
        if current not in seen:
            seen.append(current)
            queue.extend(synsets[current][1])
    return seen
