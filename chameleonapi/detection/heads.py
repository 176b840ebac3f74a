"""The stored detector heads: the generic detector and heads customized to an application.

Heads are the `detectors` shelf of the artifact store (`chameleonapi.artifacts`):
`home()/detectors/<key>/` holds `head.safetensors` and `card.json` with their `SHA256SUMS`,
keyed by everything that made them (kind, listed classes, threshold, budget, version),
written atomically under a file lock and moved aside when corrupt, as customized models
are. When the cache folder cannot be written a head is built and kept in memory only. The
generic detector is the product's built-in model: it is built on first use whatever
`CHAMELEONAPI_TRAIN` says, unless `build=False` (that setting governs customization only).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chameleonapi import config
from chameleonapi.artifacts import CorruptEntry, Shelf
from chameleonapi.detection.policy import DetectorUnavailable
from chameleonapi.detection.scenes import NAMES

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.detection.train import DetBudget
    from chameleonapi.spec import DecisionSpec

__all__ = [
    "CARD", "DETECTORS", "HEAD", "VERSION", "budget", "customized_head", "detectors_dir", "generic_head",
    "generic_parts", "get_or_train", "key_of", "read_entry", "write_entry",
]

logger = logging.getLogger("chameleonapi")
VERSION = 1
HEAD = "head.safetensors"
CARD = "card.json"
GENERIC_FIELDS = ("train_scenes", "epochs", "lr", "batch_size", "seed")


def read_entry(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(tensors, card) of an entry whose checksums passed; CorruptEntry when it cannot be loaded
    (the photo detectors' entries are read the same way)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        card = json.loads((path / CARD).read_text(encoding="utf-8"))
        if not isinstance(card, dict):  # valid JSON of the wrong shape is corrupt too
            raise ValueError(f"card is a JSON {type(card).__name__}, not an object")
        state = load_file(str(path / HEAD))
    except (ValueError, KeyError, RuntimeError, SafetensorError) as exc:
        raise CorruptEntry(f"unreadable ({exc})") from exc
    return state, card


def write_entry(folder: Path, state: dict[str, Any], card: dict[str, Any], extra: dict[str, Any]) -> None:
    from safetensors.torch import save_file

    save_file({k: v.detach().contiguous() for k, v in state.items()}, str(folder / HEAD))
    text = json.dumps({**card, **extra}, sort_keys=True, indent=1, default=str)
    (folder / CARD).write_text(text, encoding="utf-8")


def _read(path: Path):
    from chameleonapi.detection.model import Head

    state, card = read_entry(path)
    head = Head()
    try:
        head.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CorruptEntry(f"unreadable ({exc})") from exc
    return head.eval(), card


def _write(folder: Path, artifact: tuple[Any, dict], extra: dict[str, Any]) -> None:
    head, card = artifact
    write_entry(folder, head.state_dict(), card, extra)


DETECTORS = Shelf("detectors", (CARD, HEAD), _read, _write)
detectors_dir = DETECTORS.root


def key_of(parts: dict[str, Any]) -> str:
    return DETECTORS.key_of({"v": VERSION, **parts})


def get_or_train(parts: dict[str, Any], build: Callable[[], Any]):
    """(head, card) stored for `parts`; `build()` -> (head, card) trains it once if missing."""
    def make():
        head, card = build()
        return head, {**card, "key": key_of(parts), "key_parts": parts}

    return DETECTORS.get_or_create({"v": VERSION, **parts}, make, in_memory=True)


def budget(name: str | None = None) -> DetBudget:
    """The detector training budget (`CHAMELEONAPI_DETECTOR_BUDGET`, or `name`)."""
    from chameleonapi.detection.train import BUDGETS

    return BUDGETS[config.detector_budget(name)]


def generic_parts(chosen: DetBudget | None = None) -> dict[str, Any]:
    """Key parts of the generic detector: only the budget fields its training reads."""
    fields = (chosen or budget()).to_dict()
    return {"kind": "generic", "budget": {k: fields[k] for k in GENERIC_FIELDS}}


_generic_lock = threading.Lock()
_generic_heads: dict[str, Any] = {}
_said: set[str] = set()


def generic_head(build: bool | None = None, chosen: DetBudget | None = None):
    """The generic detector head, trained once with the budget, then stored.

    `build=None` follows `CHAMELEONAPI_TRAIN`: with `never`, a missing detector raises
    `DetectorUnavailable` instead of training during an application's call.
    """
    chosen = chosen or budget()
    parts = generic_parts(chosen)

    def make():
        from chameleonapi.detection.train import train_generic

        if "generic" not in _said:
            _said.add("generic")
            logger.info("building the generic object detector (once per cache folder)")
        result = train_generic(chosen)
        return result.head, {"name": "generic-detector", "loss": "generic", "seconds": result.seconds}

    key = key_of(parts)
    build_ok = config.train_mode() != "never" if build is None else build
    with _generic_lock:
        if key not in _generic_heads:
            if not build_ok and DETECTORS.lookup({"v": VERSION, **parts}) is None:
                raise DetectorUnavailable(
                    "the generic object detector is not built yet and CHAMELEONAPI_TRAIN=never; build it once "
                    "with `python -m chameleonapi.detection build`"
                )
            _generic_heads[key] = get_or_train(parts, make)[0]
        return _generic_heads[key]


def customized_head(
    listed: Sequence[int], threshold: float, loss: str = "chameleon", seed: int | None = None,
    chosen: DetBudget | None = None, decision: DecisionSpec | None = None,
):
    """The head customized to listed classes and a reporting threshold (stored once).

    `seed` varies the customization's initialisation and sampling (the generic detector it
    starts from stays the same). `decision`: the application's object decision; a count
    comparison in it ("more than 2 sheep") shapes the `chameleon` loss and is part of the key.
    """
    chosen = chosen or budget()
    generic_key = key_of(generic_parts(chosen))
    generic = generic_head(chosen=chosen)
    if seed is not None:
        chosen = replace(chosen, seed=seed)
    listed = sorted(set(int(c) for c in listed))
    parts = {
        "kind": loss,
        "listed": listed,
        "threshold": round(float(threshold), 4),
        "budget": chosen.to_dict(),
        "generic": generic_key,
    }
    if decision is not None and decision.count_op is not None:
        parts.update(count_op=decision.count_op, count=decision.count)

    def build():
        from chameleonapi.detection.train import customize

        result = customize(generic, listed, threshold, loss, chosen, decision=decision)
        names = [NAMES[c] for c in listed]
        return result.head, {"name": f"{loss}-detector[{','.join(names)}]", "loss": loss, "seconds": result.seconds}

    return get_or_train(parts, build)[0]
