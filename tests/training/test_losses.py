"""The decision loss (DESIGN.md section 5): gradients go where the decision needs them."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from chameleonapi.spec import Category, DecisionSpec  # noqa: E402
from chameleonapi.training.losses import DecisionLoss, pairwise  # noqa: E402

# eight outputs: columns 0-1 select category A, 2 selects B, 3 selects C, 4-7 select nothing
NAMES = ["a1", "a2", "b", "c", "x1", "x2", "x3", "x4"]
COLUMNS = [[0, 1], [2], [3]]
SOURCE = list(range(len(NAMES)))


def make_loss(kind: str, order: str = "label", top_k: int | None = 3, threshold: float | None = None) -> DecisionLoss:
    return DecisionLoss(kind, order, COLUMNS, SOURCE, top_k=top_k, threshold=threshold)


def spec_for(kind: str, order: str = "label", top_k: int | None = 3, threshold: float | None = None) -> DecisionSpec:
    cats = [Category("A", ("a1", "a2")), Category("B", ("b",)), Category("C", ("c",))]
    return DecisionSpec(kind, order, cats, top_k=top_k, threshold=threshold)


def logits_from_probs(probs: list[float]) -> torch.Tensor:
    p = torch.tensor([probs], dtype=torch.float64).clamp(1e-4, 1 - 1e-4)
    return torch.log(p / (1 - p)).requires_grad_(True)


def truth_row(*present: int) -> torch.Tensor:
    t = torch.zeros(1, 3, dtype=torch.bool)
    for i in present:
        t[0, i] = True
    return t


def decide(spec: DecisionSpec, logits: torch.Tensor):
    p = torch.sigmoid(logits.detach())[0].tolist()
    return spec.decide(list(zip(NAMES, p)))


CASES = [
    ("true_false", "label"),
    ("multi_choice", "label"),
    ("multi_choice", "category"),
    ("multi_choice", "last"),
    ("multi_select", "label"),
]


@pytest.mark.parametrize("kind,order", CASES)
def test_no_gradient_once_every_constraint_holds_by_the_margin(kind, order):
    loss_fn = make_loss(kind, order)
    # A clearly visible (rank 1), everything else far below the 4th score (the cut)
    logits = logits_from_probs([0.95, 0.3, 0.05, 0.05, 0.6, 0.55, 0.5, 0.02])
    loss = loss_fn(logits, None, truth_row(0))
    loss.backward()
    assert loss.item() == pytest.approx(0.0, abs=1e-9)
    assert logits.grad.abs().max().item() < 1e-9


@pytest.mark.parametrize("kind,order", CASES)
def test_violated_gradient_raises_the_true_category(kind, order):
    loss_fn = make_loss(kind, order)
    # truth is B, but A is on top and B sits below the cut
    logits = logits_from_probs([0.9, 0.2, 0.3, 0.1, 0.8, 0.7, 0.6, 0.1])
    loss = loss_fn(logits, None, truth_row(1))
    loss.backward()
    assert loss.item() > 0
    assert logits.grad[0, 2] < 0, "descending the loss must raise B's score"
    if kind != "multi_select":
        assert logits.grad[0, 0] > 0 or logits.grad[0, 4:7].max() > 0


@pytest.mark.parametrize("kind,order", CASES)
def test_descent_reaches_the_right_decision(kind, order):
    spec = spec_for(kind, order)
    loss_fn = make_loss(kind, order)
    truth = truth_row(1, 2)
    logits = logits_from_probs([0.9, 0.6, 0.2, 0.1, 0.8, 0.7, 0.6, 0.1])
    opt = torch.optim.SGD([logits], lr=1.0)
    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn(logits, None, truth)
        if loss.item() == 0:
            break
        loss.backward()
        opt.step()
    assert spec.is_correct(decide(spec, logits), frozenset({"B", "C"}))


@pytest.mark.parametrize("kind,order", CASES)
def test_other_pushes_every_category_under_the_cut(kind, order):
    spec = spec_for(kind, order)
    loss_fn = make_loss(kind, order)
    logits = logits_from_probs([0.9, 0.8, 0.85, 0.7, 0.3, 0.2, 0.25, 0.1])
    opt = torch.optim.SGD([logits], lr=1.0)
    for _ in range(500):
        opt.zero_grad()
        loss = loss_fn(logits, None, truth_row())
        if loss.item() == 0:
            break
        loss.backward()
        opt.step()
    p = torch.sigmoid(logits.detach())
    S = loss_fn.category_scores(p)
    assert (S < loss_fn.cut_for(p, S)).all(), "every category below the score it must beat to be shown"
    assert spec.is_correct(decide(spec, logits), frozenset())


def test_cut_follows_top_k_and_threshold():
    p = torch.tensor([[0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]])
    assert make_loss("multi_select", top_k=3).cut(p).item() == pytest.approx(0.6)
    assert make_loss("multi_select", top_k=None, threshold=0.75).cut(p).item() == pytest.approx(0.75)
    assert make_loss("multi_select", top_k=3, threshold=0.75).cut(p).item() == pytest.approx(0.75)
    assert make_loss("multi_select", top_k=3, threshold=0.1).cut(p).item() == pytest.approx(0.6)
    assert make_loss("multi_select", top_k=None, threshold=None).cut(p).item() == pytest.approx(0.5)
    assert make_loss("multi_select", top_k=20).cut(p).item() == 0.0


def test_category_score_is_max_over_its_outputs_and_aliases():
    # output 8 is an alias of column 2 (B)
    loss_fn = DecisionLoss("multi_select", "label", [[0, 1], [8], [3]], SOURCE + [2], top_k=3)
    logits = logits_from_probs([0.2, 0.7, 0.4, 0.1, 0.5, 0.5, 0.5, 0.5])
    S = loss_fn.category_scores(loss_fn.outputs(logits))
    assert S[0].tolist() == pytest.approx([0.7, 0.4, 0.1])


def test_pairwise_weights_violations_more():
    a = torch.tensor([0.5, 0.5])
    b = torch.tensor([0.45, 0.55])  # within the margin / violated
    r = pairwise(a, b)
    assert r[1] > 4 * r[0]
    assert pairwise(torch.tensor([0.9]), torch.tensor([0.1])).item() == 0.0


def test_gamma_is_bounded():
    with pytest.raises(ValueError):
        DecisionLoss("true_false", "label", [[0]], [0], gamma=9.0)


def test_a_label_just_below_the_top_k_still_gets_a_gradient():
    # B's only label is exactly the 4th score (p_(K+1) for K=3): it must still be pushed up
    loss_fn = make_loss("true_false")
    logits = logits_from_probs([0.1, 0.1, 0.6, 0.05, 0.9, 0.8, 0.7, 0.05])
    loss = loss_fn(logits, None, truth_row(1))
    loss.backward()
    assert logits.grad[0, 2] < 0
    assert loss_fn.cut_for(torch.sigmoid(logits.detach()), torch.tensor([0.6])).item() == pytest.approx(0.7)


# ---------------------------------------------------------------------------- the outcome loss (fine-tuning)
def _outcome_term(loss_fn, logits: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(loss_fn.outcome_logits(logits), loss_fn.outcome[classes])


def test_outcomes_group_the_classes_with_the_same_true_decision():
    from chameleonapi.training.losses import outcomes_of

    ids, n = outcomes_of([frozenset({"spray"}), frozenset(), frozenset({"spray"}), frozenset()])
    assert n == 2 and ids[0] == ids[2] and ids[1] == ids[3] and ids[0] != ids[1]


def test_a_confusion_inside_one_outcome_costs_nothing_in_the_outcome_term():
    from chameleonapi.training.losses import OutcomeLoss

    # classes 0 and 1 lead to the same decision, class 2 to another; every photo is class 0
    loss_fn = OutcomeLoss([0, 0, 1])
    classes = torch.zeros(4, dtype=torch.long)
    right = torch.tensor([[3.0, 0.0, 0.0], [2.0, 1.0, 1.0], [1.5, -2.0, -2.0], [4.0, 3.0, 3.0]])
    swapped = right[:, [1, 0, 2]]  # the mass of class 0 moved to class 1: a confusion inside the outcome
    assert _outcome_term(loss_fn, swapped, classes).item() == pytest.approx(_outcome_term(loss_fn, right, classes).item(),
                                                                            abs=1e-6)
    plain = torch.nn.functional.cross_entropy
    assert plain(swapped, classes) > plain(right, classes) + 0.5  # the class term alone does see it

    # the same class error towards the other outcome's class costs more in total
    across = right[:, [2, 1, 0]]
    assert plain(across, classes).item() == pytest.approx(plain(swapped, classes).item(), abs=1e-6)
    assert loss_fn(across, classes) > loss_fn(swapped, classes) + 0.1


def test_the_outcome_loss_pushes_hardest_on_the_confusion_that_flips_the_decision():
    from chameleonapi.training.losses import OutcomeLoss

    loss_fn = OutcomeLoss([0, 0, 1])
    logits = torch.tensor([[0.0, 1.0, 1.0]], requires_grad=True)  # class 0 true, 1 and 2 equally likely
    loss_fn(logits, torch.tensor([0])).backward()
    grad = logits.grad[0]
    assert grad[0] < 0 and grad[2] > grad[1] > 0  # the wrong class of the other outcome is pushed down most
    assert grad.sum().item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_with_every_class_an_outcome_of_its_own_the_outcome_loss_is_the_cross_entropy(smoothing):
    from chameleonapi.training.losses import OutcomeLoss

    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(32, 5, generator=generator) * 3
    classes = torch.randint(0, 5, (32,), generator=generator)
    outcome = [3, 0, 4, 1, 2]  # any numbering
    assert OutcomeLoss(outcome, weight=2.0, label_smoothing=smoothing)(logits, classes).item() == pytest.approx(
        torch.nn.functional.cross_entropy(logits, classes, label_smoothing=smoothing).item(), abs=1e-5)
