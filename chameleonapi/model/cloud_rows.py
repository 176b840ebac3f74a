"""`cloud_vocab.present` (and `with_aliases`) over a model's score rows: the same answer in numpy.

A served call scores every label of the space (about 1,800); turning them all into ranked
(label, score) pairs and walking them in Python took longer than the model's forward pass.
What does not change between calls is computed once per label list (`LabelRows`: which
labels are shown, their breadth, each label's ancestors as columns); per row, only the
labels that are confident or hold most of a label the model is sure of, and their
ancestors, can be lifted or capped, so `present`'s walks run over those few, and only the labels a caller
reports (at or above its floor and `min_score`, its top `limit`) become Python tuples.
`answer(...)` equals `present` then `with_aliases` on the engine's ranked list, cut the
same way (`tests/model/test_cloud_rows.py` checks it on real photos).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

import numpy as np

from chameleonapi.model import cloud_vocab
from chameleonapi.model.cloud_vocab import CONFIDENT, DOMINANT, DOMINANT_FROM, STEP, dominates

__all__ = ["LabelRows", "label_rows", "ranked_row"]

LabelScores = list[tuple[str, float]]


def ranked_row(row: np.ndarray, names: Sequence[str], limit: int | None = None) -> LabelScores:
    """One score row as the engine ranks it: score order, ties by column, scores clipped to
    [0, 1], at most `limit` (`serving.engines.Engine.annotate`)."""
    k = len(names) if not limit else min(limit, len(names))
    top = np.argpartition(-row, k - 1)[:k] if k < len(names) else np.arange(len(names))
    top = top[np.lexsort((top, -row[top]))]
    return [(names[i], float(min(max(row[i], 0.0), 1.0))) for i in top]


class LabelRows:
    """What `present` needs of one label list, computed once: shown labels, breadth and
    parents per column, columns per name (and per case-folded name)."""

    def __init__(self, names: Sequence[str]) -> None:
        table = cloud_vocab._table()
        breadth, parents = table["breadth"], table["parents"]
        self.names = list(names)
        self.shown = np.fromiter((cloud_vocab.is_shown(n) for n in self.names), dtype=bool, count=len(self.names))
        self.shown_list: list[bool] = self.shown.tolist()
        self.breadth = [breadth.get(n, 0) for n in self.names]
        self.parents = [tuple(parents.get(n, ())) for n in self.names]
        self.columns: dict[str, list[int]] = {}
        self.folded: dict[str, list[int]] = {}
        for column, name in enumerate(self.names):
            self.columns.setdefault(name, []).append(column)
            self.folded.setdefault(name.casefold(), []).append(column)
        self._above: dict[int, frozenset[int]] = {}
        self._masks: OrderedDict[frozenset[str], np.ndarray] = OrderedDict()
        self._kept: OrderedDict[frozenset[str], frozenset[int]] = OrderedDict()
        self._lock = threading.Lock()

    def mask(self, labels: frozenset[str]) -> np.ndarray:
        """Boolean column mask of the names in `labels` (cached: the same few sets recur)."""
        with self._lock:
            found = self._masks.get(labels)
            if found is None:
                found = np.zeros(len(self.names), dtype=bool)
                for name in labels:
                    found[self.columns.get(name, [])] = True
                self._masks[labels] = found
                while len(self._masks) > 64:
                    self._masks.popitem(last=False)
            return found

    def kept_columns(self, labels: frozenset[str]) -> frozenset[int]:
        """The columns of the names in `labels` (cached as `mask` is)."""
        if not labels:
            return frozenset()
        with self._lock:
            found = self._kept.get(labels)
            if found is None:
                found = self._kept[labels] = frozenset(c for name in labels for c in self.columns.get(name, ()))
                while len(self._kept) > 64:
                    self._kept.popitem(last=False)
            return found

    def above(self, column: int) -> frozenset[int]:
        """The columns of every ancestor of `column`'s label (parents of parents, by name)."""
        found = self._above.get(column)
        if found is None:
            seen: set[int] = set()
            todo = [column]
            while todo:
                for parent in self.parents[todo.pop()]:
                    for c in self.columns.get(parent, ()):
                        if c not in seen:
                            seen.add(c)
                            todo.append(c)
            found = self._above[column] = frozenset(seen)
        return found

    def answer(self, row: np.ndarray, keep: frozenset[str] = frozenset(), floor: float = 0.0,
               exempt: frozenset[str] = frozenset(), texts: Sequence[str] = (),
               resolve: Callable[[str], str | tuple[str, ...] | None] | None = None, *,
               min_score: float | None = None,
               limit: int | None = None, fixed: frozenset[str] | None = None) -> LabelScores:
        """`with_aliases(present(ranked, keep, floor, exempt, fixed), dict(ranked), texts,
        resolve, floor)` of `ranked_row(row, names)` (just `present` without `texts`), without
        the labels under `min_score` and cut to `limit`."""
        threshold = max(floor, min_score or 0.0)
        if threshold > 0.0 and not exempt:
            return self._answer_above(row, threshold, keep, floor, texts, resolve, min_score, limit, fixed)
        names = self.names
        scores = np.clip(np.asarray(row, dtype=np.float64), 0.0, 1.0)
        keep_mask = self.mask(keep)
        chosen = self.shown | keep_mask if keep else self.shown
        served = scores.copy()
        moving = [*np.flatnonzero(chosen & (scores >= CONFIDENT)).tolist(),
                  *self._dominant(scores, np.flatnonzero(chosen & (scores >= DOMINANT * DOMINANT_FROM)).tolist(),
                                  chosen.__getitem__)]
        if moving:
            near: set[int] = set(moving)
            for column in moving:
                near |= self.above(column)
            fixed_mask = keep_mask if fixed is None else self.mask(fixed)
            walked = self._walk(row, [c for c in near if chosen[c]], keep_mask.__getitem__, fixed_mask.__getitem__)
            for c, score in walked.items():
                served[c] = score
        reported = chosen & (served >= floor)
        if exempt:
            reported |= chosen & self.mask(exempt)
        cut = reported & (served >= min_score) if min_score is not None else reported
        columns = np.flatnonzero(cut)
        columns = columns[np.lexsort((columns, -row[columns], -served[columns]))]
        if limit is not None:
            columns = columns[:limit]
        shown = [(names[c], float(served[c])) for c in columns.tolist()]
        if not texts:
            return shown
        extra = self._aliases(row, scores, reported.__getitem__, texts, resolve, floor)
        return _with_extra(shown, extra, min_score, limit)

    def _answer_above(self, row: np.ndarray, threshold: float, keep: frozenset[str], floor: float,
                      texts: Sequence[str], resolve, min_score: float | None, limit: int | None,
                      fixed: frozenset[str] | None = None) -> LabelScores:
        """`answer` when nothing under `threshold` (> 0) is reported: capping only lowers a
        score and lifting reaches only labels holding most of one at least `DOMINANT_FROM`, so
        only the columns at or above the lowest of these bounds (and the ancestors of a
        confident or lifted one, whose caps reach up) are looked at, in Python floats, and the rest of the row is read by one comparison.
        (A served call runs this right after the model, with its caches cold: each numpy call
        it saves is worth more than its own time on a warm loop.)"""
        row = np.asarray(row)
        visible, kept = self.shown_list, self.kept_columns(keep)
        at_least = (row >= _bound(min(threshold, CONFIDENT, DOMINANT * DOMINANT_FROM), row.dtype)).nonzero()[0].tolist()
        candidates = [c for c in at_least if visible[c] or c in kept]
        served = {c: min(max(row.item(c), 0.0), 1.0) for c in candidates}
        moving = [c for c, v in served.items() if v >= CONFIDENT]
        moving += self._dominant(row, list(served), lambda c: visible[c] or c in kept)
        if moving:
            near: set[int] = set(moving)
            for column in moving:
                near |= self.above(column)
            near = {c for c in near if visible[c] or c in kept}
            for c in near - served.keys():
                served[c] = min(max(row.item(c), 0.0), 1.0)
            held = kept if fixed is None else self.kept_columns(fixed)
            served.update(self._walk(row, near, kept.__contains__, held.__contains__))
        raw = {c: row.item(c) for c in served}
        candidates = list(served)
        cut = [c for c in candidates if served[c] >= threshold]
        cut.sort(key=lambda c: (-served[c], -raw[c], c))
        if limit is not None:
            cut = cut[:limit]
        shown = [(self.names[c], served[c]) for c in cut]
        if not texts:
            return shown
        scores = np.clip(np.asarray(row, dtype=np.float64), 0.0, 1.0)

        def reported(c: int) -> bool:
            return (visible[c] or c in kept) and served.get(c, float(scores[c])) >= floor

        return _with_extra(shown, self._aliases(row, scores, reported, texts, resolve, floor), min_score, limit)

    def _dominant(self, row: np.ndarray, candidates: Iterable[int], chosen: Callable[[int], bool]) -> list[int]:
        """The reported labels among `candidates` that `present` lifts or that cap a parent by
        holding most of it: only labels scored at least `DOMINANT * DOMINANT_FROM`, a few per row."""
        found: list[int] = []
        for c in candidates:
            score = min(max(row.item(c), 0.0), 1.0)
            if score < DOMINANT * DOMINANT_FROM or not chosen(c):
                continue
            if any(chosen(a) and dominates(score, min(max(row.item(a), 0.0), 1.0)) for a in self.above(c)):
                found.append(c)  # lifted
            elif score >= DOMINANT_FROM and any(chosen(a) and score >= DOMINANT * min(max(row.item(a), 0.0), 1.0)
                                                for parent in self.parents[c] for a in self.columns.get(parent, ())):
                found.append(c)  # a sure label that holds most of its parent: the parent goes below it
        return found

    def _walk(self, row: np.ndarray, columns: Iterable[int], kept: Callable[[int], bool],
              fixed: Callable[[int], bool]) -> dict[int, float]:
        """`present` over the only labels it can change (every ancestor of each among them):
        a label not fixed lifted to the score of the highest ancestor it holds most of, then
        in `present`'s order (breadth, then rank) a label not kept capped under a confident
        child, a child capped under one, or the child that stands for it."""
        columns = list(columns)
        score = {c: min(max(row.item(c), 0.0), 1.0) for c in columns}
        raw: dict[str, float] = {}
        for c in columns:
            raw[self.names[c]] = max(raw.get(self.names[c], 0.0), score[c])
        lifted = dict(score)
        for c in columns:
            if not fixed(c):
                for name in {self.names[a] for a in self.above(c)}:
                    if name in raw and dominates(score[c], raw[name]):
                        lifted[c] = max(lifted[c], raw[name])
        lifted_of: dict[str, float] = {}
        for c in columns:
            lifted_of[self.names[c]] = max(lifted_of.get(self.names[c], 0.0), lifted[c])
        served: dict[int, float] = {}
        cap: dict[str, float] = {}
        strong: set[str] = set()
        for c in sorted(columns, key=lambda c: (self.breadth[c], -row.item(c), c)):
            label = self.names[c]
            capped = label in cap and not kept(c)
            value = min(lifted[c], cap[label]) if capped else lifted[c]
            served[c] = value
            sure = value >= CONFIDENT or (capped and label in strong)
            for parent in self.parents[c]:
                if sure:
                    cap[parent] = max(cap.get(parent, 0.0), value - STEP)
                    strong.add(parent)
                elif (parent in raw and score[c] >= DOMINANT * raw[parent]
                      and lifted[c] >= max(lifted_of[parent], DOMINANT_FROM)):
                    cap[parent] = max(cap.get(parent, 0.0), value - STEP)
        return served

    def _aliases(self, row, scores, reported: Callable[[int], bool], texts: Iterable[str], resolve,
                 floor: float) -> LabelScores:
        """`with_aliases`' extra pairs: each application string no reported label spells,
        meaning a scored label, under that string (the label's last column in rank order)."""
        added: set[str] = set()
        extra = []
        for text in texts:
            key = text.casefold()
            if key in added or any(reported(c) for c in self.folded.get(key, ())):
                continue
            target = resolve(text) if resolve is not None else None
            labels = (target,) if isinstance(target, str) else target or ()
            found = [float(scores[max(columns, key=lambda c: (-float(row[c]), c))])
                     for columns in (self.columns.get(label) for label in labels) if columns]
            if not found:
                continue
            score = max(found)  # a group's: its best label's
            if score >= floor:
                extra.append((text, score))
                added.add(key)
        return extra


@lru_cache(maxsize=64)
def _bound(low: float, dtype: np.dtype):
    """The largest value of `dtype` not above `low`: `row >= bound` in the row's own type keeps
    every column whose float64 value is at least `low` (the exact cut is made after, in floats)."""
    bound = dtype.type(low)
    if float(bound) > low:
        bound = np.nextafter(bound, dtype.type(-np.inf))
    return bound


def _with_extra(shown: LabelScores, extra: LabelScores, min_score: float | None, limit: int | None) -> LabelScores:
    """The shown labels with the application's own strings merged in by score, cut again."""
    if not extra:
        return shown
    merged = sorted([*shown, *extra], key=lambda kv: -kv[1])
    if min_score is not None:
        merged = [kv for kv in merged if kv[1] >= min_score]
    return merged[:limit] if limit is not None else merged


_rows: OrderedDict[tuple[str, ...], LabelRows] = OrderedDict()
_rows_lock = threading.Lock()


_last: tuple[object, LabelRows | None] = (None, None)  # the list asked last, by identity


def label_rows(names: Sequence[str]) -> LabelRows:
    """The `LabelRows` of a label list (one per list in the process, the last 16 kept). An
    engine hands the same tuple on every call: that one is found without hashing its names."""
    global _last
    last, rows = _last
    if names is last and rows is not None:
        return rows
    found = _label_rows(names)
    if isinstance(names, tuple):  # immutable: the identity stays a valid key
        _last = (names, found)
    return found


def _label_rows(names: Sequence[str]) -> LabelRows:
    key = tuple(names)
    with _rows_lock:
        found = _rows.get(key)
        if found is not None:
            _rows.move_to_end(key)
            return found
    built = LabelRows(key)
    with _rows_lock:
        found = _rows.setdefault(key, built)
        while len(_rows) > 16:
            _rows.popitem(last=False)
        return found
