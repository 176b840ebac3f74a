"""Serving detections: the stored detectors, a thread-safe engine, one engine per call site.

Detector heads are stored under `home()/detectors/<key>/` (`head.safetensors` + `card.json`),
keyed by the hash of everything that made them (kind, listed classes, threshold, budget,
version), with a `SHA256SUMS` over the head and the card. Entries are written to a temporary
folder and renamed into place under a file lock, so concurrent processes train once and never
read half an entry; a corrupt entry is moved aside (`<key>.corrupt-<time>`) and rebuilt.
The generic detector is the product's built-in model: it is built on first use whatever
`CHAMELEONAPI_TRAIN` says (that setting governs customization only).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chameleonapi import config
from chameleonapi.detection.scenes import NAMES, SCENE_SIZE

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

    from chameleonapi.detection.model import Detection
    from chameleonapi.runtime import CallSite
    from chameleonapi.spec import DecisionSpec

logger = logging.getLogger("chameleonapi")
VERSION = 1
REPORT_FLOOR = 0.5  # the lowest score an object is reported with (the API's own cut)
MAX_OBJECTS = 20
OBJECT_METHODS = ("object_localization", "detect_objects", "detect_objects_in_stream")
_said: set[str] = set()


class DetectorUnavailable(RuntimeError):
    """No detector may answer: none is trained on the configured data, or none is stored
    and this process may not train one."""


def objects_available() -> bool:
    """Object detection is served locally only by the built-in silhouette detector, chosen
    explicitly with `CHAMELEONAPI_DATA=builtin`: it must never answer a real app's photos."""
    return config.data_setting() == "builtin"


def missing_detector_message() -> str:
    data = config.data_setting()
    source = f"the configured data ({data})" if data else "any configured data (CHAMELEONAPI_DATA is not set)"
    return (f"no object detector is trained on {source}; chameleonapi serves object detection only with its "
            "built-in silhouette detector (CHAMELEONAPI_DATA=builtin, for demos and tests). Set "
            "CHAMELEONAPI_PASSTHROUGH=1 to send object requests to the cloud service")


def _say_once(message: str, level: int = logging.WARNING) -> None:
    if message not in _said:
        _said.add(message)
        logger.log(level, "%s", message)


def budget_name() -> str:
    """`CHAMELEONAPI_DETECTOR_BUDGET`: `default`, or `tiny` for tests and smoke runs."""
    return os.environ.get("CHAMELEONAPI_DETECTOR_BUDGET", "default").strip() or "default"


def _budget():
    from chameleonapi.detection.train import BUDGETS

    name = budget_name()
    if name not in BUDGETS:
        raise ValueError(f"CHAMELEONAPI_DETECTOR_BUDGET must be one of {sorted(BUDGETS)}, got {name!r}")
    return BUDGETS[name]


# ----------------------------------------------------------------- store
def detectors_dir() -> Path:
    return config.home() / "detectors"


def key_of(parts: dict[str, Any]) -> str:
    from chameleonapi import __version__

    blob = json.dumps({"library": __version__, "v": VERSION, **parts}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


HEAD = "head.safetensors"
CARD = "card.json"


def _load_head(path: Path):
    """(head, card) stored at `path`; None when absent or corrupt (a corrupt entry is moved
    aside, kept until its rebuild is stored)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from chameleonapi import store
    from chameleonapi.detection.model import Head

    if not os.path.lexists(path):
        return None
    reason = store.check_entry(path, (CARD, HEAD))
    if reason is None:
        try:
            card = json.loads((path / CARD).read_text(encoding="utf-8"))
            state = load_file(str(path / HEAD))
            head = Head()
            head.load_state_dict(state, strict=True)
        except (ValueError, KeyError, RuntimeError, SafetensorError) as exc:
            reason = f"unreadable ({exc})"
    if reason is not None:
        store.move_aside(path, reason)
        return None
    return head.eval(), card


def _save_head(path: Path, head, card: dict) -> None:
    from safetensors.torch import save_file

    from chameleonapi import store

    def write(tmp: Path) -> None:
        state = {k: v.detach().contiguous() for k, v in head.state_dict().items()}
        save_file(state, str(tmp / HEAD))
        (tmp / CARD).write_text(json.dumps(card, sort_keys=True, indent=1), encoding="utf-8")

    store.write_entry(path, write)


def get_or_train(parts: dict[str, Any], build: Callable[[], Any]):
    """(head, card) stored for `parts`; `build()` -> (head, card) trains it once if missing.

    When the cache folder cannot be written the head is built and kept in memory only.
    """
    from filelock import FileLock

    from chameleonapi import store

    key = key_of(parts)
    path = detectors_dir() / key
    if (got := _load_head(path)) is not None:
        return got
    try:
        detectors_dir().mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(detectors_dir() / f".{key}.lock"), timeout=3600)
        lock.acquire()
    except OSError as exc:
        if not store.is_unwritable(exc):
            raise
        store.warn_unwritable(exc)
        head, card = build()
        return head, {**card, "key": key, "key_parts": parts}
    try:
        if (got := _load_head(path)) is not None:
            return got
        head, card = build()
        card = {**card, "key": key, "key_parts": parts}
        try:
            _save_head(path, head, card)
        except OSError as exc:
            if not store.is_unwritable(exc):
                raise
            store.warn_unwritable(exc)
        return head, card
    finally:
        lock.release()


# ----------------------------------------------------------------- models
_generic_lock = threading.Lock()
_generic_heads: dict[str, Any] = {}


GENERIC_FIELDS = ("train_scenes", "epochs", "lr", "batch_size", "seed")


def generic_parts() -> dict[str, Any]:
    """Key parts of the generic detector: only the budget fields its training reads."""
    budget = _budget().to_dict()
    return {"kind": "generic", "budget": {k: budget[k] for k in GENERIC_FIELDS}}


def generic_head(build: bool | None = None):
    """The generic detector head, trained once with the configured budget, then stored.

    `build=None` follows `CHAMELEONAPI_TRAIN`: with `never`, a missing detector raises
    `DetectorUnavailable` instead of training during an application's call.
    """
    budget = _budget()
    parts = generic_parts()

    def make():
        from chameleonapi.detection.train import train_generic

        _say_once("building the generic object detector (once per cache folder)", logging.INFO)
        result = train_generic(budget)
        return result.head, {"name": "generic-detector", "loss": "generic", "seconds": result.seconds}

    key = key_of(parts)
    build_ok = config.train_mode() != "never" if build is None else build
    with _generic_lock:
        if key not in _generic_heads:
            path = detectors_dir() / key
            if not build_ok and _load_head(path) is None:
                raise DetectorUnavailable(
                    "the generic object detector is not built yet and CHAMELEONAPI_TRAIN=never; build it once "
                    "with `python -m chameleonapi.detection build`"
                )
            _generic_heads[key] = get_or_train(parts, make)[0]
        return _generic_heads[key]


def customized_head(listed: Sequence[int], threshold: float, loss: str = "chameleon", seed: int | None = None):
    """The head customized to listed classes and a reporting threshold (stored once).

    `seed` varies the customization's initialisation and sampling (the generic detector it
    starts from stays the same).
    """
    budget = _budget()
    if seed is not None:
        from dataclasses import replace

        budget = replace(budget, seed=seed)
    listed = sorted(set(int(c) for c in listed))
    parts = {
        "kind": loss,
        "listed": listed,
        "threshold": round(float(threshold), 4),
        "budget": budget.to_dict(),
        "generic": key_of(generic_parts()),
    }
    generic = generic_head()

    def build():
        from chameleonapi.detection.train import customize

        result = customize(generic, listed, threshold, loss, budget)
        names = [NAMES[c] for c in listed]
        return result.head, {"name": f"{loss}-detector[{','.join(names)}]", "loss": loss, "seconds": result.seconds}

    return get_or_train(parts, build)[0]


@dataclass
class DetectorModel:
    """A detector ready to serve: the shared frozen trunk and one trained head."""

    name: str
    head: Any

    def detect(self, images: Sequence[Image], min_score: float = REPORT_FLOOR) -> list[list[Detection]]:
        import torch

        from chameleonapi.data.transforms import to_input
        from chameleonapi.detection.model import decode
        from chameleonapi.model.backbone import configure_threads

        configure_threads()
        x = torch.from_numpy(to_input(list(images), SCENE_SIZE))
        with torch.inference_mode():
            c3, c4 = shared_trunk()(x)
            cls, box = self.head(c3, c4)
        return decode(cls, box, min_score=min_score, max_detections=MAX_OBJECTS)


_trunk_lock = threading.Lock()
_trunk: list[Any] = []


def shared_trunk():
    """One frozen ImageNet trunk per process, shared by every detector head."""
    with _trunk_lock:
        if not _trunk:
            from chameleonapi.detection.model import Trunk

            _trunk.append(Trunk())
        return _trunk[0]


class DetectorEngine:
    """Serializes access to one detector (torch modules are not re-entrant under load)."""

    def __init__(self, model: DetectorModel, max_batch: int = 32) -> None:
        self.model = model
        self.max_batch = max_batch
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.model.name

    def detect(self, images: Sequence[Image], min_score: float = REPORT_FLOOR) -> list[list[Detection]]:
        out: list[list[Detection]] = []
        with self._lock:
            for start in range(0, len(images), self.max_batch):
                out += self.model.detect(images[start : start + self.max_batch], min_score)
        return out


# ----------------------------------------------------------------- per call site
def listed_classes(spec: DecisionSpec, provider: str) -> list[int]:
    """Detector classes whose reported name (in the provider's style) the decision checks."""
    styled = [n.lower() if provider.startswith("azure") else n for n in NAMES]
    return [i for i, name in enumerate(styled) if spec.categories_of(name)]


def object_spec_for_site(site: CallSite) -> DecisionSpec | None:
    """The object decision made at `site` (a count decision first, else a presence test)."""
    from chameleonapi.customize_runtime import _specs_of

    if site.file is None:
        return None
    path = os.path.realpath(site.file)
    found = [
        spec
        for spec in _specs_of(path, os.path.getmtime(path))
        if spec.call is not None and spec.call.line == site.line and os.path.realpath(spec.call.file) == path
        and spec.method in OBJECT_METHODS
    ]
    found.sort(key=lambda spec: spec.target != "objects")
    return found[0] if found else None


class ObjectResolver:
    """Chooses and caches the detector engine for each call site (no lock held while a
    site is analysed or its detector trained; see `runtime.SiteEngines`)."""

    def __init__(self) -> None:
        from chameleonapi.runtime import SiteEngines

        self._generic_lock = threading.Lock()
        self._sites = SiteEngines()
        self._generic: DetectorEngine | None = None
        self.override: DetectorEngine | None = None

    def generic(self) -> DetectorEngine:
        with self._generic_lock:
            if self._generic is None:
                self._generic = DetectorEngine(DetectorModel("generic-detector", generic_head()))
            return self._generic

    def engine_for(self, site: CallSite, provider: str) -> DetectorEngine:
        if self.override is not None:
            return self.override
        if not objects_available():
            raise DetectorUnavailable(missing_detector_message())
        return self._sites.get(site, lambda: self._choose(site, provider), self.generic)

    def _choose(self, site: CallSite, provider: str) -> DetectorEngine:
        mode = config.train_mode()
        if mode == "background" and site.file is not None:
            return self._background(site, provider)
        try:
            engine = self._customized(site, provider) if mode == "auto" else None
        except Exception as exc:  # never let our failure reach the application
            _report(exc)
            engine = None
        return engine or self.generic()

    def _plan(self, site: CallSite, provider: str) -> tuple[str, list[int], float] | None:
        """(name, listed classes, threshold) of the detector to customize at `site`, or None."""
        if site.file is None:
            return None
        spec = object_spec_for_site(site)
        if spec is None or spec.partial:
            return None
        listed = listed_classes(spec, provider)
        if not listed:
            _say_once(f"the objects checked at {site.file}:{site.line} are not in the detector's classes "
                      f"({', '.join(NAMES)}); serving the generic detector")
            return None
        threshold = max(REPORT_FLOOR, spec.threshold or 0.0)
        return f"chameleon-detector[{','.join(NAMES[c] for c in listed)}]", listed, threshold

    def _customized(self, site: CallSite, provider: str) -> DetectorEngine | None:
        planned = self._plan(site, provider)
        if planned is None:
            return None
        name, listed, threshold = planned
        return DetectorEngine(DetectorModel(name, customized_head(listed, threshold)))

    def _background(self, site: CallSite, provider: str) -> DetectorEngine:
        """Serve the generic detector at once; analyse and train in a thread, then swap."""
        engine = DetectorEngine(DetectorModel("generic-detector", generic_head()))

        def work() -> None:
            try:
                planned = self._plan(site, provider)
                if planned is None:
                    return
                name, listed, threshold = planned
                head = customized_head(listed, threshold)
            except Exception as exc:  # the application keeps the generic detector
                _report(exc)
                return
            with engine._lock:
                engine.model = DetectorModel(name, head)
            logger.info("customized detector ready (%s)", name)

        threading.Thread(target=work, daemon=True, name="chameleonapi-detector-train").start()
        return engine

    def reset(self) -> None:
        self._sites.clear()


def _report(exc: BaseException) -> None:
    from chameleonapi import store

    if store.is_unwritable(exc):
        store.warn_unwritable(exc)
    else:
        _say_once(f"detector customization failed ({exc}); serving the generic detector")


object_resolver = ObjectResolver()
