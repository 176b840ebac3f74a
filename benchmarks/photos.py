"""Decision quality on real photographs: generic vs basic vs chameleonapi, per decision type.

Every application in `benchmarks/photo_apps/` is unchanged Google / Azure SDK code whose
labels are CIFAR-10 classes or their WordNet ancestors. The photos (an image folder,
`root/<class>/*.jpg`, by default `../shared/data/cifar10-train`) are split once, by a stable
hash of each file name, into a customization pool (`--train` photos, handed to
`customize(spec, data=<folder>)`, which carves its own validation split out of it for early
stopping and its serving gate) and a test split that no model ever sees. Test photos
smaller than the services' minimum side (Azure: 50 px) are upscaled (bicubic) before they
are handed to the applications, as a user of those services must.

Three models answer each application on the same test photos:
- generic: the real ImageNet labeler, what the application gets with no customization;
- basic: the same fine-tuning on the same photos and budget with BCE only (`loss="basic"`);
- chameleonapi: the decision-aware loss (`loss="chameleon"`).
Each model's answers are replayed through the real SDK (chameleonapi enabled, the model
behind it) into the application's own decision function; a decision is correct when it
equals what the same function decides for the photo's true labels (its class and the
class's WordNet ancestors). `spec.decide` on the same answers is reported beside it as a
check of the analysis.

Also measured: retention (top-1 ImageNet class agreement of each customized model with the
generic one on test photos of classes the application does not name), the pet-door check
on the example photos (chelsea opens the door, coffee and rocket do not), and the cost of
each customization (the first one in a fresh cache computes the photo features: "cold";
later ones reuse them: "features cached").

    python benchmarks/photos.py [--data DIR] [--seeds 3] [--train 10000] [--test 1000] \
        [--budget default] [--apps pet_door,parking_gate] [--json benchmarks/results/photos.json]
    python benchmarks/photos.py --quick     # small subsets, one seed: checks the harness end to end
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import inspect
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("CHAMELEONAPI_THREADS", "1")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "cifar10-train"
EXAMPLES = ROOT / "chameleonapi" / "examples" / "images"
KINDS = ("true_false", "multi_choice", "multi_select")
MIN_SIDE = 50  # the smallest photo side every provider the apps call accepts (Azure)
MODELS = ("generic", "basic", "chameleonapi")
LOSS_OF = {"basic": "basic", "chameleonapi": "chameleon"}
PAPER = {
    "generic": {"true_false": 0.29, "multi_choice": 0.30, "multi_select": 0.34},
    "basic": {"true_false": 0.19, "multi_choice": 0.22, "multi_select": 0.27},
    "chameleonapi": {"true_false": 0.13, "multi_choice": 0.16, "multi_select": 0.21},
}
PAPER_VS_BASIC = {"true_false": -0.32, "multi_choice": -0.27, "multi_select": -0.22}
TARGET_VS_GENERIC = -0.40
RETENTION_TARGET = 0.90
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")

# True labels of each CIFAR-10 class as the generic labeler names them: the class's WordNet
# synset and its hypernyms (the abstract roots above "Organism" / "Artifact" are not labels).
# "Deer" has no ImageNet class; a customization that knows the label adds it.
_ANIMAL = ["Vertebrate", "Chordate", "Animal", "Organism"]
_MAMMAL = ["Placental", "Mammal", *_ANIMAL]
_CRAFT = ["Craft", "Vehicle", "Conveyance", "Instrumentality", "Artifact"]
_ROAD = ["Motor vehicle", "Self-propelled vehicle", "Wheeled vehicle", "Container", "Vehicle",
         "Conveyance", "Instrumentality", "Artifact"]
TRUE_LABELS: dict[str, list[str]] = {
    "airplane": ["Airplane", "Heavier-than-air craft", "Aircraft", *_CRAFT],
    "automobile": ["Car", *_ROAD],
    "bird": ["Bird", *_ANIMAL],
    "cat": ["Cat", "Feline", "Carnivore", *_MAMMAL],
    "deer": ["Deer", "Ruminant", "Even-toed ungulate", "Ungulate", *_MAMMAL],
    "dog": ["Dog", "Canine", "Domestic animal", "Carnivore", *_MAMMAL],
    "frog": ["Frog", "Amphibian", *_ANIMAL],
    "horse": ["Horse", "Equine", "Odd-toed ungulate", "Ungulate", *_MAMMAL],
    "ship": ["Ship", "Vessel", *_CRAFT],
    "truck": ["Truck", *_ROAD],
}
FILLERS = 32  # more than any top-k an app asks for
POOL_DIR = "benchmark-data"
# The pet-door check: what the generic labeler gets right on the shipped example photos.
PET_DOOR_APP = "pet_door"
PET_DOOR_EXPECTED = {"chelsea.jpg": True, "coffee.jpg": False, "rocket.jpg": False}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- data
def split_photos(root: Path, n_train: int, n_test: int) -> tuple[list[tuple[Path, str]], list[tuple[Path, str]]]:
    """Stable per-class split: photos ordered by a hash of `class/name`; the first
    `n_test / classes` are the test split, the next `n_train / classes` the customization pool.
    The test split does not depend on `n_train`."""
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name in TRUE_LABELS)
    unknown = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in TRUE_LABELS)
    if unknown:
        log(f"ignoring folders without known true labels: {', '.join(unknown)}")
    if not classes:
        raise SystemExit(f"no CIFAR-10 class folders under {root}")
    per_test, per_train = n_test // len(classes), n_train // len(classes)
    train, test = [], []
    for name in classes:
        files = [p for p in (root / name).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
        files.sort(key=lambda p: hashlib.sha256(f"{name}/{p.name}".encode()).hexdigest())
        if len(files) < per_test + per_train:
            raise SystemExit(f"{root / name} has {len(files)} photos; --train/--test need {per_test + per_train}")
        test += [(p, name) for p in files[:per_test]]
        train += [(p, name) for p in files[per_test : per_test + per_train]]
    return train, test


def servable(data: bytes) -> bytes:
    """The photo as the apps' services accept it: a photo under the largest minimum side
    (Azure's 50 px; CIFAR photos are 32 px) is upscaled (bicubic, PNG) to that size or
    more; larger photos are handed over unchanged."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        small = min(image.size)
        if small >= MIN_SIDE:
            return data
        factor = -(-MIN_SIDE // small)
        big = image.convert("RGB").resize((image.width * factor, image.height * factor), Image.BICUBIC)
    out = io.BytesIO()
    big.save(out, format="PNG")
    return out.getvalue()


def pool_folder(train: list[tuple[Path, str]], parent: Path) -> Path:
    """The customization pool as an image folder (`class/name` links to the photos)."""
    digest = hashlib.sha256("\n".join(f"{c}/{p.name}" for p, c in train).encode()).hexdigest()[:12]
    folder = parent / f"photos-pool-{len(train)}-{digest}"
    done = folder.with_name(folder.name + ".complete")
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        for path, name in train:
            target = folder / name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                target.symlink_to(path.resolve())
            except OSError:
                shutil.copyfile(path, target)
        done.write_text("")
    return folder


# ----------------------------------------------------------------------------- apps
def load_app(path: Path):
    """Import an application module (chameleonapi must already be enabled)."""
    spec = importlib.util.spec_from_file_location(f"photo_app_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def entry_point(module, line: int) -> Callable:
    """The application's top-level function that holds the SDK call at `line`."""
    for _, fn in inspect.getmembers(module, inspect.isfunction):
        if fn.__module__ != module.__name__:
            continue
        lines, first = inspect.getsourcelines(fn)
        if first <= line < first + len(lines):
            return fn
    raise SystemExit(f"{module.__file__}: no top-level function holds the SDK call at line {line}")


def decision_specs(path: Path) -> list:
    from chameleonapi.analysis import analyze

    specs = [s for s in analyze(path) if not s.partial and s.all_labels]
    if len(specs) != 1:
        raise SystemExit(f"{path.name}: expected one complete decision, the analysis found {len(specs)}")
    return specs


def normal(decision):
    """An application's return value in a comparable form (sets and lists as sorted tuples)."""
    if isinstance(decision, (set, frozenset)):
        return tuple(sorted(decision, key=str))
    if isinstance(decision, list):
        return tuple(decision)
    return decision


# ----------------------------------------------------------------------------- serving
def image_key(image) -> str:
    return hashlib.sha1(image.tobytes()).hexdigest() + f"{image.size}{image.mode}"


class ReplayModel:
    """A label model that answers known images from a precomputed score matrix.

    Put behind an `Engine` it ranks and truncates exactly as the served model would, so the
    SDK path (request, provider, response types, the app's own code) runs unchanged while
    each model's forward pass runs once per photo, batched.
    """

    def __init__(self, name: str, labels: Sequence[str], scores, keys: Sequence[str], fallback=None) -> None:
        self.name = name
        self.labels = list(labels)
        self.scores = scores
        self.index = {k: i for i, k in enumerate(keys)}
        self.fallback = fallback
        self.misses = 0

    def predict(self, images):
        import numpy as np

        rows = []
        for image in images:
            i = self.index.get(image_key(image))
            if i is None:
                if self.fallback is None:
                    raise KeyError("image not in the replay set")
                self.misses += 1
                rows.append(np.asarray(self.fallback.predict([image]))[0])
            else:
                rows.append(self.scores[i])
        return np.stack(rows)


def truth_model(spec, classes: Sequence[str], keys: Sequence[str]) -> ReplayModel:
    """Answers each photo with its true labels: the labels the app names at 1.0, the
    other true labels at 0.9 (so a top-k cut never hides what the app looks for).

    Filler labels no app names, at a tiny score, fill any top-k left over: a ranked answer
    must never pad itself with the zero-score labels of other classes."""
    import numpy as np

    names = sorted({label for c in set(classes) for label in TRUE_LABELS[c]})
    names += [f"(no label {i})" for i in range(FILLERS)]
    column = {n: j for j, n in enumerate(names)}
    wanted = {label.casefold() for label in spec.all_labels}
    scores = np.zeros((len(classes), len(names)), dtype=np.float32)
    scores[:, -FILLERS:] = 1e-3
    for i, c in enumerate(classes):
        for label in TRUE_LABELS[c]:
            scores[i, column[label]] = 1.0 if label.casefold() in wanted else 0.9
    return ReplayModel("truth", names, scores, keys)


@contextlib.contextmanager
def serving(model):
    """Every intercepted SDK call is answered by `model` (through a real Engine)."""
    from chameleonapi.serving.calls import labels_resolver
    from chameleonapi.serving.engines import Engine

    before = labels_resolver.override
    labels_resolver.override = Engine(model)
    try:
        yield
    finally:
        labels_resolver.override = before


def provider_style(label: str, provider: str) -> str:
    try:
        from chameleonapi.vocab import provider_style as style

        return style(label, provider)
    except ImportError:  # pragma: no cover - older/newer layouts
        return label.lower() if provider.lower().startswith("azure") else label


def run_app(fn: Callable, photos: Sequence[bytes], model, spec) -> tuple[list, list]:
    """The app's decision on each photo with `model` behind the SDK, and `spec.decide` of
    the very labels the SDK handed the app."""
    from chameleonapi.serving.notices import add_listener, remove_listener

    seen: list = []
    listener = seen.append
    add_listener(listener)
    decisions, spec_decisions = [], []
    try:
        with serving(model):
            for data in photos:
                seen.clear()
                decisions.append(normal(fn(data)))
                served = [(provider_style(label, spec.provider), score)
                          for call in seen for labels in call.labels for label, score in labels]
                spec_decisions.append(spec.decide(served))
    finally:
        remove_listener(listener)
    return decisions, spec_decisions


def score_matrix(model, images) -> object:
    from chameleonapi.serving.engines import Engine

    return Engine(model).scores(images)


class SharedTrunk:
    """Scores customized models without recomputing the trunk they share with the generic
    backbone.

    Fine-tuning keeps the generic backbone's first stages frozen, so every customized model
    computes the same trunk features for the same test photo. The first model is scored
    normally while its trunk output is recorded; each later model whose network shares at
    least that trunk (parameters and buffers equal to the generic backbone's) runs its own
    `predict` with the trunk swapped for the recording, checked against a normal forward
    pass on a few photos first. Anything else is scored with a full forward pass.
    """

    CHECK = 4

    def __init__(self, reference) -> None:
        self.reference = reference  # the generic labeler's timm network
        self.depth: int | None = None
        self.features = None
        self.used = 0

    def shared_depth(self, net) -> int:
        """How many of `net`'s first blocks equal the generic backbone's (0: none, or the stem differs)."""
        import torch

        def same(a, b) -> bool:
            sa, sb = a.state_dict(), b.state_dict()
            return sa.keys() == sb.keys() and all(
                sa[k].shape == sb[k].shape and torch.equal(sa[k].cpu(), sb[k].cpu()) for k in sa)

        ref = self.reference
        try:
            if not (same(net.conv_stem, ref.conv_stem) and same(net.bn1, ref.bn1)):
                return 0
            depth = 0
            for mine, theirs in zip(net.blocks, ref.blocks):
                if not same(mine, theirs):
                    break
                depth += 1
            return depth
        except (AttributeError, TypeError):
            return 0

    def scores(self, model, images):
        net = getattr(model, "network", None)
        depth = self.shared_depth(net) if net is not None and self.reference is not None else 0
        if depth == 0:
            return score_matrix(model, images), "full"
        if self.features is None:
            return self._record(model, net, depth, images), "full (trunk recorded)"
        if depth < self.depth:
            return score_matrix(model, images), "full"
        with self._replayed(net, self.features[: self.CHECK]):
            fast = score_matrix(model, images[: self.CHECK])
        slow = score_matrix(model, images[: self.CHECK])
        if fast.shape != slow.shape or abs(fast - slow).max() > 1e-4:
            return score_matrix(model, images), "full (shared-trunk check failed)"
        with self._replayed(net, self.features):
            out = score_matrix(model, images)
        self.used += 1
        return out, f"shared trunk ({self.depth} blocks)"

    def _record(self, model, net, depth, images):
        import torch

        chunks = []
        handle = net.blocks[depth - 1].register_forward_hook(lambda m, i, o: chunks.append(o.detach().cpu()))
        try:
            out = score_matrix(model, images)
        finally:
            handle.remove()
        features = torch.cat(chunks) if chunks else None
        if features is not None and len(features) == len(images):
            self.features, self.depth = features, depth
        return out

    @contextlib.contextmanager
    def _replayed(self, net, features):
        """`net` with its stem and first `depth` blocks replaced by the recorded features."""
        from torch import nn

        class Recorded(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.cursor = 0

            def forward(self, x):
                batch = features[self.cursor : self.cursor + x.shape[0]]
                self.cursor += x.shape[0]
                return batch.to(device=x.device, dtype=x.dtype)

        stem, bn1, blocks = net.conv_stem, net.bn1, net.blocks
        net.conv_stem, net.bn1 = nn.Identity(), nn.Identity()
        net.blocks = nn.Sequential(Recorded(), *list(blocks)[self.depth:])
        try:
            yield
        finally:
            net.conv_stem, net.bn1, net.blocks = stem, bn1, blocks


# ----------------------------------------------------------------------------- measures
def leaf_top1(labels: Sequence[str], scores, leaves: set[str]):
    """Index (into `leaves_order`) of each row's highest-scoring ImageNet class, or None
    when the model has no ImageNet class outputs."""
    import numpy as np

    cols = [j for j, name in enumerate(labels) if name.casefold() in leaves]
    if not cols:
        return None
    names = [labels[j].casefold() for j in cols]
    best = np.asarray(scores)[:, cols].argmax(axis=1)
    return [names[b] for b in best]


def imagenet_leaves() -> set[str]:
    """The 1,000 ImageNet class names as the generic labeler prints them (casefolded)."""
    table = json.loads((ROOT / "chameleonapi" / "model" / "data" / "imagenet_labels.json").read_text())
    return {c["label"].casefold() for c in table["classes"]}


def rates_for(decisions, spec_decisions, truth, spec_truth, spec) -> dict:
    n = len(truth)
    app_ok = [d == t for d, t in zip(decisions, truth)]
    spec_ok = [spec.is_correct(d, t) for d, t in zip(spec_decisions, spec_truth)]
    return {
        "incorrect": 1 - sum(app_ok) / n,
        "spec_incorrect": 1 - sum(spec_ok) / n,
        "analysis_agreement": sum(a == b for a, b in zip(app_ok, spec_ok)) / n,
    }


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    values = [v for v in values if v is not None]
    if not values:
        return float("nan"), 0.0
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def files_under(folder: Path) -> set[str]:
    """Files in the cache folder (less the benchmark's own photo links)."""
    if not folder.exists():
        return set()
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and not p.relative_to(folder).as_posix().startswith(POOL_DIR)}


def cache_state(before: set[str], after: set[str]) -> str:
    """How a customization found the cache: `cold` (it wrote photo features), `features
    cached` (it wrote a model only) or `store hit` (it wrote nothing)."""
    new = after - before
    if not new:
        return "store hit"
    return "cold" if any("feature" in p for p in new) else "features cached"


# ----------------------------------------------------------------------------- main
def parse(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="image folder root/<class>/*.jpg")
    parser.add_argument("--seeds", type=int, default=None, help="training seeds (default 3; --quick 1)")
    parser.add_argument("--train", type=int, default=None, help="photos handed to customization (default 10000)")
    parser.add_argument("--test", type=int, default=None, help="held-out test photos (default 1000)")
    parser.add_argument("--budget", default=None, help="training budget preset for both losses (default 'default')")
    parser.add_argument("--apps", default="", help="comma-separated app names (default: all in benchmarks/photo_apps)")
    parser.add_argument("--home", type=Path, default=None,
                        help="CHAMELEONAPI_HOME for the run (default: a fresh temporary folder, so costs are cold)")
    parser.add_argument("--json", type=Path, default=None, help="default benchmarks/results/photos.json")
    parser.add_argument("--quick", action="store_true",
                        help="400 training / 300 test photos, 1 seed, 'tiny' budget: checks the harness end to end")
    parser.add_argument("--progress", action="store_true", help="show training progress bars")
    parser.add_argument("--full-forward", action="store_true",
                        help="score every customized model with a full forward pass (no shared-trunk reuse)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.seeds = args.seeds or (1 if quick else 3)
    args.train = args.train or (400 if quick else 10000)
    args.test = args.test or (300 if quick else 1000)
    args.budget = args.budget or ("tiny" if quick else "default")
    args.json = args.json or HERE / "results" / ("photos_quick.json" if quick else "photos.json")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not args.data.is_dir():
        print(f"photos not found at {args.data}: pass --data DIR, an image folder root/<class>/*.jpg "
              "(the development checkout keeps CIFAR-10 photos in ../shared/data/cifar10-train)", file=sys.stderr)
        return 2
    temporary = args.home is None
    home = Path(tempfile.mkdtemp(prefix="chameleonapi-photos-")) if temporary else args.home.expanduser()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["CHAMELEONAPI_HOME"] = str(home)
    try:
        return run(args, home, fresh=temporary)
    finally:
        if temporary:
            shutil.rmtree(home, ignore_errors=True)


def run(args, home: Path, fresh: bool) -> int:
    started = time.perf_counter()
    apps = sorted((HERE / "photo_apps").glob("*.py"))
    if args.apps:
        wanted = {a.strip().removesuffix(".py") for a in args.apps.split(",") if a.strip()}
        missing = wanted - {p.stem for p in apps}
        if missing:
            raise SystemExit(f"unknown app(s): {', '.join(sorted(missing))}")
        apps = [p for p in apps if p.stem in wanted]

    train, test = split_photos(args.data, args.train, args.test)
    pool = pool_folder(train, home / POOL_DIR)
    log(f"photos: {len(train)} for customization ({pool}), {len(test)} held out; home {home}")

    import torch

    import chameleonapi

    torch.set_num_threads(int(os.environ["CHAMELEONAPI_THREADS"]))
    chameleonapi.enable()
    from chameleonapi.imaging import decode_image
    from chameleonapi.model.generic import shared_labeler
    from chameleonapi.services.google_vision.descriptor import POLICY
    from chameleonapi.training import customize

    photos = [servable(p.read_bytes()) for p, _ in test]
    images = [decode_image(b, POLICY).image for b in photos]
    keys = [image_key(im) for im in images]
    classes = [c for _, c in test]
    leaves = imagenet_leaves()

    t0 = time.perf_counter()
    generic = shared_labeler()
    generic_scores = score_matrix(generic, images)
    generic_s = time.perf_counter() - t0
    generic_top1 = leaf_top1(generic.labels, generic_scores, leaves)
    log(f"generic labeler: {len(images)} test photos in {generic_s:.0f} s")
    feature_s = feature_seconds_per_photo(images)
    log(f"photo features: {1000 * feature_s:.0f} ms per photo (one thread)")
    replay_generic = ReplayModel("generic", generic.labels, generic_scores, keys, fallback=generic)
    trunk = None if args.full_forward else SharedTrunk(getattr(generic, "model", None))

    examples = {name: (EXAMPLES / name).read_bytes() for name in PET_DOOR_EXPECTED if (EXAMPLES / name).exists()}
    results, costs, pet_door = [], [], {}
    for path in apps:
        spec = decision_specs(path)[0]
        module = load_app(path)
        fn = entry_point(module, spec.call.line)
        named = {label.casefold() for label in spec.all_labels}
        unnamed = [i for i, c in enumerate(classes) if not named & {t.casefold() for t in TRUE_LABELS[c]}]
        truth, _ = run_app(fn, photos, truth_model(spec, classes, keys), spec)
        spec_truth = [spec.decide_from_truth([provider_style(t, spec.provider) for t in TRUE_LABELS[c]]) for c in classes]
        row = {
            "app": path.stem, "provider": spec.provider, "method": spec.method, "kind": spec.kind,
            "order": spec.order, "threshold": spec.threshold, "top_k": spec.top_k,
            "categories": {c.name: list(c.labels) for c in spec.categories},
            "n_test": len(test), "unnamed_classes": sorted({classes[i] for i in unnamed}),
            "truth_positive_rate": sum(t not in (None, False, ()) for t in truth) / len(truth),
            "models": {},
        }
        decisions, spec_decisions = run_app(fn, photos, replay_generic, spec)
        row["models"]["generic"] = [rates_for(decisions, spec_decisions, truth, spec_truth, spec)]
        if path.stem == PET_DOOR_APP and examples:
            pet_door["generic"] = pet_door_check(fn, examples, generic)
        for model_name in ("basic", "chameleonapi"):
            row["models"][model_name] = []
            for seed in range(args.seeds):
                before = files_under(home)
                t1 = time.perf_counter()
                try:
                    model = customize(spec, str(pool), loss=LOSS_OF[model_name], seed=seed,
                                      budget=args.budget, progress=args.progress)
                except Exception as exc:  # record and go on: one failure must not void the run
                    log(f"{path.stem} {model_name} seed {seed}: customization failed: {exc!r}")
                    row["models"][model_name].append({"error": repr(exc)})
                    continue
                wall = time.perf_counter() - t1
                state = cache_state(before, files_under(home))
                if fresh and not costs and state != "store hit":
                    state = "cold"  # the first customization in a fresh cache computes the features
                costs.append({"app": path.stem, "model": model_name, "seed": seed, "wall_s": wall, "cache": state})
                t2 = time.perf_counter()
                if model is generic or (getattr(model, "name", None) == generic.name
                                        and list(model.labels) == list(generic.labels)):
                    scores, scoring = generic_scores, "generic (served instead of a customized model)"
                elif trunk is not None:
                    scores, scoring = trunk.scores(model, images)
                else:
                    scores, scoring = score_matrix(model, images), "full"
                replay = ReplayModel(model_name, model.labels, scores, keys, fallback=model)
                decisions, spec_decisions = run_app(fn, photos, replay, spec)
                entry = rates_for(decisions, spec_decisions, truth, spec_truth, spec)
                entry.update(seed=seed, customize_s=wall, cache=state, score_s=time.perf_counter() - t2, scoring=scoring,
                             served_model=getattr(model, "name", type(model).__name__),
                             replay_misses=replay.misses, card=card_summary(model))
                top1 = leaf_top1(model.labels, scores, leaves)
                entry["retention"] = (
                    None if top1 is None or generic_top1 is None or not unnamed
                    else sum(top1[i] == generic_top1[i] for i in unnamed) / len(unnamed)
                )
                row["models"][model_name].append(entry)
                if path.stem == PET_DOOR_APP and examples:
                    pet_door.setdefault(model_name, []).append({"seed": seed, **pet_door_check(fn, examples, model)})
                log(f"[{time.perf_counter() - started:6.0f}s] {path.stem:<16} {model_name:<12} seed {seed} "
                    f"incorrect {entry['incorrect']:.3f} (generic {row['models']['generic'][0]['incorrect']:.3f}) "
                    f"retention {fmt(entry['retention'])} customize {wall:.1f}s [{state}] "
                    f"scored {entry['score_s']:.1f}s [{scoring}]")
        results.append(row)

    summarize(results, args.seeds)
    table = pooled(results, args.seeds)
    payload = {
        "table": table, "apps": results, "pet_door": pet_door,
        "cost": cost_summary(costs, len(train), args.budget, feature_s, results),
        "setup": {"data": str(args.data), "train_photos": len(train), "test_photos": len(test), "seeds": args.seeds,
                  "budget": args.budget, "quick": args.quick, "threads": int(os.environ["CHAMELEONAPI_THREADS"]),
                  "device": os.environ.get("CHAMELEONAPI_DEVICE", "")},
        "generic_score_s": generic_s, "paper": PAPER, "paper_vs_basic": PAPER_VS_BASIC,
        "target_vs_generic": TARGET_VS_GENERIC, "retention_target": RETENTION_TARGET,
        "wall_s": time.perf_counter() - started,
    }
    payload["checks"] = checks(payload)
    print_report(payload)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    print(f"wrote {args.json}")
    return 0


def checks(payload: dict) -> dict:
    """The issue's targets, each true or false (None when the run could not measure it)."""
    table, results, cost = payload["table"], payload["apps"], payload["cost"]
    retention = [row["summary"][m].get("retention") for row in results for m in ("basic", "chameleonapi")]
    chameleon_ret = [row["summary"]["chameleonapi"].get("retention") for row in results]
    pet = payload["pet_door"].get("chameleonapi")
    return {
        "beats_basic_every_type": all(table[k]["chameleonapi"]["mean"] < table[k]["basic"]["mean"] for k in table),
        "beats_generic_every_type": all(table[k]["chameleonapi"]["mean"] < table[k]["generic"]["mean"] for k in table),
        "paper_margin_vs_basic": {k: table[k]["meets_paper_vs_basic"] for k in table},
        "target_vs_generic": {k: table[k]["meets_target_vs_generic"] for k in table},
        "retention_min_chameleonapi": min((r for r in chameleon_ret if r is not None), default=None),
        "retention_min_any": min((r for r in retention if r is not None and r == r), default=None),
        "retention_target_met": all(r is not None and r >= RETENTION_TARGET for r in chameleon_ret),
        "pet_door_all_right": None if pet is None else all(r["all_right"] for r in pet),
        "cost_cold_met": (None if cost["cold_s"] is None and cost.get("cold_estimate_s") is None
                          else (cost["cold_s"] if cost["cold_s"] is not None else cost["cold_estimate_s"]) <= 300),
        "cost_cached_met": None if cost["features_cached_max_s"] is None else cost["features_cached_max_s"] <= 60,
    }


def card_summary(model) -> dict:
    """What the model's card says about its training and gate (whatever the card holds)."""
    card = getattr(model, "card", None) or {}
    metrics = card.get("metrics", {}) if isinstance(card, dict) else {}
    keep = {k: v for k, v in metrics.items() if k != "history" and not isinstance(v, (list, dict))}
    for key in ("gate", "served", "validation"):
        if isinstance(card, dict) and key in card:
            keep[key] = card[key]
    return keep


def pet_door_check(fn: Callable, examples: dict[str, bytes], model) -> dict:
    """The pet door's decision on each example photo, and whether it is the right one."""
    from chameleonapi.serving.notices import add_listener, remove_listener

    served: list = []
    add_listener(served.append)
    out = {}
    try:
        with serving(model):
            for name, data in examples.items():
                served.clear()
                decision = fn(data)
                top = [f"{label} {score:.2f}" for call in served for labels in call.labels for label, score in labels[:3]]
                out[name] = {"opens": bool(decision), "right": bool(decision) == PET_DOOR_EXPECTED[name], "top3": top}
    finally:
        remove_listener(served.append)
    out["all_right"] = all(v["right"] for v in out.values() if isinstance(v, dict))
    return out


def pooled(results: list[dict], seeds: int) -> dict:
    """Per decision type and model: mean over apps per seed, then mean ± sd over seeds."""
    table: dict = {}
    for kind in KINDS:
        rows = [r for r in results if r["kind"] == kind]
        if not rows:
            continue
        entry: dict = {"apps": [r["app"] for r in rows]}
        for model in MODELS:
            per_seed = []
            for s in range(seeds):
                vals = [seed_value(r, model, s, "incorrect") for r in rows]
                if all(v is not None for v in vals):
                    per_seed.append(statistics.fmean(vals))
            m, sd = mean_sd(per_seed)
            entry[model] = {"mean": m, "sd": sd, "per_seed": per_seed}
        g, b, c = (entry[m]["mean"] for m in MODELS)
        entry["reduction_vs_basic"] = (c - b) / b if b else None
        entry["reduction_vs_generic"] = (c - g) / g if g else None
        entry["meets_paper_vs_basic"] = entry["reduction_vs_basic"] is not None and entry["reduction_vs_basic"] <= PAPER_VS_BASIC[kind]
        entry["meets_target_vs_generic"] = entry["reduction_vs_generic"] is not None and entry["reduction_vs_generic"] <= TARGET_VS_GENERIC
        table[kind] = entry
    return table


def seed_value(row: dict, model: str, seed: int, key: str):
    entries = row["models"][model]
    entry = entries[0] if model == "generic" else (entries[seed] if seed < len(entries) else {})
    return entry.get(key)


def summarize(results: list[dict], seeds: int) -> None:
    """Per-app means and spreads, stored on each row."""
    for row in results:
        row["summary"] = {}
        for model in MODELS:
            vals = [seed_value(row, model, s, "incorrect") for s in range(1 if model == "generic" else seeds)]
            spec_vals = [seed_value(row, model, s, "spec_incorrect") for s in range(1 if model == "generic" else seeds)]
            m, sd = mean_sd(vals)
            row["summary"][model] = {"incorrect": m, "sd": sd, "spec_incorrect": mean_sd(spec_vals)[0]}
            if model != "generic":
                row["summary"][model]["retention"] = mean_sd(
                    [seed_value(row, model, s, "retention") for s in range(seeds)])[0]
        g, b, c = (row["summary"][m]["incorrect"] for m in MODELS)
        row["summary"]["vs_basic"] = (c - b) / b if b else None
        row["summary"]["vs_generic"] = (c - g) / g if g else None


def feature_seconds_per_photo(images, batch: int = 32) -> float:
    """Seconds per photo of the customization's photo features (preprocessing + pooled
    backbone features at the input size, this process's threads; best of three batches)."""
    import torch

    from chameleonapi.model.backbone import create_backbone
    from chameleonapi.training import photo_features as pf

    backbone = create_backbone(pretrained=True).eval()
    best = float("inf")
    with torch.inference_mode():
        pf.pooled(backbone, torch.from_numpy(pf.prepare(images[:4])))  # warm-up
        for _ in range(3):
            start = time.perf_counter()
            pf.pooled(backbone, torch.from_numpy(pf.prepare(images[:batch])))
            best = min(best, (time.perf_counter() - start) / len(images[:batch]))
    return best


def cost_summary(costs: list[dict], n_train: int, budget: str, feature_s: float | None = None,
                 results: list[dict] | None = None) -> dict:
    """Cold and features-cached customization times. Where no customization of the run
    computed the features (a `--home` that had them), the cold time is estimated as the
    features of every photo a customization used, at the measured rate, plus the median
    features-cached time."""
    cold = [c["wall_s"] for c in costs if c["cache"] == "cold"]
    cached = [c["wall_s"] for c in costs if c["cache"] == "features cached"]
    used = [e["card"].get("train_examples", 0) + e["card"].get("val_examples", 0)
            for row in results or [] for m in ("basic", "chameleonapi") for e in row["models"][m] if "card" in e]
    photos_used = max(used) if used else None
    estimate = None
    if feature_s is not None and photos_used and cached:
        estimate = feature_s * photos_used + statistics.median(cached)
    return {
        "train_photos": n_train, "budget": budget,
        "cold_s": cold[0] if cold else None,
        "features_cached_median_s": statistics.median(cached) if cached else None,
        "features_cached_max_s": max(cached) if cached else None,
        "feature_ms_per_photo": None if feature_s is None else 1000 * feature_s,
        "photos_per_customization": photos_used,
        "cold_estimate_s": estimate,
        "targets_s": {"cold": 300, "features_cached": 60},
        "customizations": costs,
    }


def fmt(value, pct: bool = False) -> str:
    if value is None or value != value:
        return "n/a"
    return f"{100 * value:+.0f}%" if pct else f"{value:.3f}"


def print_report(payload: dict) -> None:
    table, results, setup = payload["table"], payload["apps"], payload["setup"]
    print(f"\nReal photos: {setup['train_photos']} for customization, {setup['test_photos']} held out, "
          f"{setup['seeds']} seed(s), budget {setup['budget']}")
    print("Incorrect-decision rate, mean ± sd over seeds (apps pooled per decision type)")
    kinds = [k for k in KINDS if k in table]
    header = f"{'model':<14}" + "".join(f"{k.replace('_', '-'):>20}" for k in kinds)
    print(header)
    print("-" * len(header))
    for model in MODELS:
        print(f"{model:<14}" + "".join(f"{table[k][model]['mean']:>13.3f} ± {table[k][model]['sd']:.3f}" for k in kinds))
    print(f"{'vs basic':<14}" + "".join(f"{fmt(table[k]['reduction_vs_basic'], True):>20}" for k in kinds))
    print(f"{'  paper':<14}" + "".join(f"{fmt(PAPER_VS_BASIC[k], True):>20}" for k in kinds))
    print(f"{'vs generic':<14}" + "".join(f"{fmt(table[k]['reduction_vs_generic'], True):>20}" for k in kinds))
    print(f"{'  target':<14}" + "".join(f"{fmt(TARGET_VS_GENERIC, True):>20}" for _ in kinds))

    print("\nPer application (incorrect-decision rate, mean over seeds; retention = top-1 ImageNet class "
          "agreement with generic on classes the app does not name)")
    print(f"{'app':<16} {'provider':<9} {'kind':<13} {'order':<9} {'θ':>5} {'k':>4}"
          f"{'generic':>9}{'basic':>14}{'chameleonapi':>14}{'vs basic':>9}{'vs gen':>8}{'ret b/c':>12}{'spec ok':>8}")
    for row in results:
        s = row["summary"]
        agree = min(e.get("analysis_agreement", 1.0) for m in MODELS for e in row["models"][m] if "incorrect" in e)
        print(f"{row['app']:<16} {row['provider']:<9} {row['kind']:<13} {row['order']:<9} "
              f"{fmt(row['threshold']) if row['threshold'] is not None else '-':>5} {row['top_k'] or '-':>4}"
              f"{s['generic']['incorrect']:>9.3f}"
              f"{s['basic']['incorrect']:>8.3f}±{s['basic']['sd']:.3f}"
              f"{s['chameleonapi']['incorrect']:>8.3f}±{s['chameleonapi']['sd']:.3f}"
              f"{fmt(s['vs_basic'], True):>9}{fmt(s['vs_generic'], True):>8}"
              f"{fmt(s['basic']['retention']):>6}/{fmt(s['chameleonapi']['retention']):<5}{agree:>8.3f}")

    pet = payload["pet_door"]
    if pet:
        print("\nPet door on the example photos (chelsea should open it; coffee and rocket should not)")
        for model in MODELS:
            runs = pet.get(model)
            if runs is None:
                continue
            for r in runs if isinstance(runs, list) else [runs]:
                tag = f"{model}" + (f" seed {r['seed']}" if "seed" in r else "")
                cells = "  ".join(f"{n.split('.')[0]} {'open' if r[n]['opens'] else 'shut'}"
                                  f"{'' if r[n]['right'] else ' (wrong)'}" for n in PET_DOOR_EXPECTED if n in r)
                print(f"  {tag:<22} {cells}")

    cost = payload["cost"]
    print(f"\nCost of one customization on {cost['train_photos']} photos (budget {cost['budget']}): "
          f"cold {fmt(cost['cold_s'])} s (estimate {fmt(cost.get('cold_estimate_s'))} s at "
          f"{fmt(cost.get('feature_ms_per_photo'))} ms/photo of features), "
          f"features cached median {fmt(cost['features_cached_median_s'])} s "
          f"(targets ≤ 300 s / ≤ 60 s on 2 CPU cores)")
    print("Targets: " + ", ".join(f"{k} {v}" for k, v in payload["checks"].items()))
    print(f"wall time: {payload['wall_s']:.0f} s ({payload['wall_s'] / 60:.1f} min)")


if __name__ == "__main__":
    sys.exit(main())
