"""The detector's decision loss is the object-count kind's: the count comparison shapes it."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from chameleonapi.detection.losses import DetectionDecisionLoss  # noqa: E402

SHEEP, COW, GRID = 8, 3, 8
CENTRES = [(1, 1), (5, 5), (1, 6)]  # three sheep


def heat() -> torch.Tensor:
    h = torch.zeros(1, 10, GRID, GRID)
    for y, x in CENTRES:
        h[0, SHEEP, y, x] = 1.0
    return h


def logits(missed: int = 0, stray: int = 0) -> torch.Tensor:
    """Sheep found at their centres (but the first `missed`), low elsewhere, `stray` false sheep."""
    x = torch.full((1, 10, GRID, GRID), -6.0)
    for i, (y, c) in enumerate(CENTRES):
        x[0, SHEEP, y, c] = -6.0 if i < missed else 4.0
    for j in range(stray):
        x[0, SHEEP, 7, j] = 4.0
    return x


def cost(count_op, count, **kw) -> float:
    loss = DetectionDecisionLoss([SHEEP], threshold=0.5, count_op=count_op, count=count)
    return float(loss.decision(logits(**kw), heat()))


def test_right_detections_cost_nothing_whatever_the_decision():
    for op, n in [(None, None), (">", 0), (">", 2), ("==", 3), ("<", 5), ("!=", 1)]:
        assert cost(op, n) == 0.0


def test_a_miss_costs_only_when_it_can_flip_the_comparison():
    assert cost(None, None, missed=1) > 0  # the count itself: every object counts
    assert cost(">", 2, missed=1) > 0  # 3 sheep -> 2: "more than 2" flips
    assert cost(">", 0, missed=1) == 0.0  # still some sheep
    assert cost(">", 0, missed=3) > 0  # now none


def test_a_stray_report_costs_only_when_it_can_flip_the_comparison():
    assert cost(None, None, stray=1) > 0
    assert cost(">=", 3, stray=1) == 0.0  # 4 sheep still ">= 3"
    assert cost("<", 4, stray=1) > 0  # 4 sheep is no longer "< 4"
    assert cost("==", 3, stray=1) > 0
    assert cost("<", 5, stray=1) == 0.0 and cost("<", 5, stray=2) > 0


def test_the_loss_is_the_kinds_and_refuses_an_unknown_comparison():
    assert DetectionDecisionLoss([SHEEP], 0.5).kind.name == "object_count"
    with pytest.raises(ValueError, match="count_op"):
        DetectionDecisionLoss([SHEEP], 0.5, count_op="=>", count=1)
