"""Customization on real photos: generic / simple baseline / chameleonapi, per application.

Two data sets of real photos, each an image folder whose folder name is the photo's class:
`../shared/data/flowers/train` (5 classes, 1,600 photos) and a subset of
`../shared/data/cifar10-train` (10 classes). Each is split once, by a stable hash of the
photo's name, into photos to customize with and held-out photos that no training ever sees:

    digest = sha256(f"{class}/{file name}").hexdigest()
    held out  <=>  int(digest, 16) % 3 == 0          (about a third)

and, within a class, photos are taken in the order of their digest (flowers: all of them;
CIFAR: the first 200 to customize and the first 100 held out of each class, i.e. 2,000 +
1,000). The photos to customize with are copied into a fresh image folder
(`<class>/<file>`), handed to the library exactly as a user would hand theirs.

Three unchanged applications per data set (`benchmarks/apps/realphotos/flowers_*.py`,
`benchmarks/apps/realphotos/cifar_*.py`), one per decision type, each calling a real SDK client (Google
label detection, Azure Computer Vision / Image Analysis tags, Rekognition detect_labels) and
deciding from the labels. An application's decision on a held-out photo is what its own
function returns when it runs under chameleonapi, in a fresh process (one for the generic
labeler's answers, one per customization); it is right when it equals the decision the application owes the photo's class
(`TRUTH`, from the folder name). Photos with a side under 80 px (CIFAR's 32 px) are upscaled
(bicubic) before they are handed to the application, since Rekognition refuses them.

Columns, each with its incorrect-decision rate on the held-out photos and its cost:
- generic: CHAMELEONAPI serving the generic labeler (no data); cost = the first call's seconds;
- simple: a multinomial logistic regression (torch, L-BFGS, L2) on the frozen lite0 pooled
  features of the same photos to customize, computed by the library's own feature graph;
  its predicted class is mapped to each application's decision through `TRUTH`; cost = the
  features of the photos to customize plus the fit;
- chameleonapi: `CHAMELEONAPI_DATA=<photos to customize>` in a cold cache (a fresh
  `CHAMELEONAPI_HOME` holding only the converted weights and exported graphs every install
  makes once); cost = the first call's seconds (analysis, features, training, gate, store);
  `--shared-cache` keeps one cache per data set, so later apps reuse the photo features;
- fine-tuned: the same with the library's fine-tuning switched on, when the library has a
  setting or budget preset for it (a setting or preset whose name says "finetune"/"fine_tune",
  or `--finetune-env NAME=VALUE`); "n/a" otherwise;
- fine-tuned (cross-entropy): the same fine-tuning with no decision-loss stage (a budget
  preset named "finetune..._ce", or `--finetune-ce-env NAME=VALUE`): what the decision loss
  is compared with; "n/a" when the library has none.
`chameleonapi / simple` is the ratio of incorrect-decision rates (target: <= 1 on every
application; <= 0.6 on multi-choice and multi-select with fine-tuning).

    python benchmarks/customize_realphotos.py [--sets flowers,cifar] [--json benchmarks/results/customize_realphotos.json]
    python benchmarks/customize_realphotos.py --quick     # small subsets: checks the harness end to end
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("CHAMELEONAPI_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from photos import load_app  # noqa: E402  (the photo benchmark's application loader)

# ../shared/data beside the checkout (a worktree one level deeper finds it one level up)
SHARED = next((up / "shared" / "data" for up in (ROOT.parent, ROOT.parent.parent) if (up / "shared" / "data").is_dir()),
              ROOT.parent / "shared" / "data")
APPS = HERE / "apps" / "realphotos"  # a folder of their own: benchmarks/decisions.py reads apps/*.py
MIN_SIDE = 80  # the smallest photo side every service the apps call accepts (Rekognition)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
HELD_OUT_MODULUS = 3
KIND_OF = {"true_false": "true-false", "multi_choice": "multi-choice", "multi_select": "multi-select"}
COLUMNS = ("generic", "simple", "chameleonapi", "finetuned", "finetuned_ce")
FINETUNE = r"fine_?tun|unfreez"  # the name of a setting or budget preset that switches fine-tuning on
FINETUNE_CE = r"fine_?tun.*_ce$"  # the budget preset that fine-tunes with cross-entropy only (no decision loss)


@dataclass(frozen=True)
class DataSet:
    name: str
    root: Path
    customize_per_class: int | None  # None: every photo the split rule gives
    held_out_per_class: int | None
    quick_per_class: tuple[int, int]
    # app file stem -> class folder -> the decision the app owes a photo of that class
    truth: dict[str, dict[str, object]] = field(default_factory=dict)


def _tags(tag: str | None) -> tuple:
    return (tag,) if tag else ()


FLOWERS = ("daisy", "dandelion", "roses", "sunflowers", "tulips")
CIFAR = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
DATASETS = {
    "flowers": DataSet(
        "flowers", SHARED / "flowers" / "train", None, None, (24, 12),
        {
            "flowers_lawn_robot": {c: c == "dandelion" for c in FLOWERS},
            "flowers_florist": {"roses": "cooler", "tulips": "bulb stand", "sunflowers": "seed stand",
                                "daisy": "perennials", "dandelion": "front counter"},
            "flowers_garden_journal": {c: _tags({"roses": "#roses", "tulips": "#tulips", "sunflowers": "#sunflowers",
                                                 "daisy": "#daisies"}.get(c)) for c in FLOWERS},
        }),
    "cifar": DataSet(
        "cifar", SHARED / "cifar10-train", 200, 100, (12, 6),
        {
            "cifar_garden_sprinkler": {c: c in ("deer", "bird") for c in CIFAR},
            "cifar_port_desk": {c: {"airplane": "airport", "ship": "harbour", "truck": "freight",
                                    "automobile": "parking"}.get(c, "general") for c in CIFAR},
            "cifar_pet_tags": {c: _tags({"cat": "#cats", "dog": "#dogs", "horse": "#horses", "frog": "#frogs"}.get(c))
                               for c in CIFAR},
        }),
}
TRUTH = {app: table for ds in DATASETS.values() for app, table in ds.truth.items()}
# the decision type each app is written to make (the analysis must find exactly this)
KINDS = {"flowers_lawn_robot": "true_false", "flowers_florist": "multi_choice", "flowers_garden_journal": "multi_select",
         "cifar_garden_sprinkler": "true_false", "cifar_port_desk": "multi_choice", "cifar_pet_tags": "multi_select"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- data
def digest(cls: str, name: str) -> str:
    return hashlib.sha256(f"{cls}/{name}".encode()).hexdigest()


def held_out(cls: str, name: str) -> bool:
    """The split rule: a third of the photos, by a stable hash of `class/file name`."""
    return int(digest(cls, name), 16) % HELD_OUT_MODULUS == 0


def split(root: Path, classes: tuple[str, ...], n_customize: int | None, n_held: int | None):
    """(photos to customize with, held-out photos), each a list of (path, class)."""
    customize, held = [], []
    for cls in classes:
        files = sorted((p for p in (root / cls).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
                       key=lambda p: digest(cls, p.name))
        mine = [p for p in files if not held_out(cls, p.name)]
        theirs = [p for p in files if held_out(cls, p.name)]
        if n_customize is not None and len(mine) < n_customize or n_held is not None and len(theirs) < n_held:
            raise SystemExit(f"{root / cls}: too few photos for {n_customize} + {n_held}")
        customize += [(p, cls) for p in mine[:n_customize]]
        held += [(p, cls) for p in theirs[:n_held]]
    return customize, held


def user_folder(photos: list[tuple[Path, str]], parent: Path) -> Path:
    """The photos to customize with as a user's own image folder (copies, `class/file`)."""
    folder = parent / "photos"
    for path, cls in photos:
        target = folder / cls / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return folder


def servable(data: bytes) -> bytes:
    """The photo as every service the apps call accepts it: under `MIN_SIDE` px it is
    upscaled (bicubic, PNG) by a whole factor; larger photos are handed over unchanged."""
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


def normal(decision):
    """An app's return value in a comparable, JSON-stable form (sets and lists as sorted lists)."""
    if isinstance(decision, (set, frozenset, list, tuple)):
        return sorted(decision, key=str)
    return decision


# ----------------------------------------------------------------------------- worker
def entry_point(module):
    """The app's one top-level function (each app in benchmarks/apps has exactly one)."""
    functions = [fn for _, fn in inspect.getmembers(module, inspect.isfunction) if fn.__module__ == module.__name__]
    if len(functions) != 1:
        raise SystemExit(f"{module.__file__}: expected one top-level function, found {len(functions)}")
    return functions[0]


def worker(job_path: Path, out_path: Path) -> int:
    """Runs each app of the job, in turn, on the held-out photos under chameleonapi (settings
    from the environment): the app's return value per photo, its first call's seconds."""
    import logging

    job = json.loads(job_path.read_text())
    messages: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(f"{record.levelname}: {record.getMessage()}")

    logging.getLogger("chameleonapi").addHandler(Keep(logging.INFO))
    import torch

    torch.set_num_threads(1)
    import chameleonapi

    chameleonapi.enable()
    photos = [servable(Path(p).read_bytes()) for p in job["photos"]]
    out = {}
    for app in job["apps"]:
        messages.clear()
        fn = entry_point(load_app(Path(app)))
        start = time.perf_counter()
        decisions = [normal(fn(photos[0]))]
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        decisions += [normal(fn(data)) for data in photos[1:]]
        rest_s = time.perf_counter() - start
        out[Path(app).stem] = {"decisions": decisions, "first_call_s": first_s,
                               "serve_ms_per_photo": 1000 * rest_s / max(len(photos) - 1, 1), "log": messages[:40]}
    out_path.write_text(json.dumps(out))
    return 0


def run_worker(apps: list[Path], photos: list[Path], env: dict[str, str], scratch: Path) -> dict[str, dict]:
    """Each app's result from one fresh process (an `error` entry when the process failed)."""
    name = "-".join(a.stem for a in apps)[:80]
    job, out = scratch / f"job-{name}.json", scratch / f"out-{name}.json"
    job.write_text(json.dumps({"apps": [str(a) for a in apps], "photos": [str(p) for p in photos]}))
    out.unlink(missing_ok=True)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMELEONAPI_") or k == "CHAMELEONAPI_THREADS"}
    full_env.update(env)
    full_env["PYTHONPATH"] = os.pathsep.join([str(ROOT), full_env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(job), str(out)],
                          env=full_env, cwd=str(ROOT), timeout=3600)
    wall = time.perf_counter() - start
    load = {"before": load_before, "after": os.getloadavg()[0]}
    results = json.loads(out.read_text()) if proc.returncode == 0 and out.exists() else {}
    return {a.stem: ({**results[a.stem], "process_wall_s": wall, "load_average_1min": load} if a.stem in results
                     else {"error": f"worker exited {proc.returncode}", "process_wall_s": wall}) for a in apps}


def cards(home: Path, skip: set[str] = frozenset()) -> list[dict]:
    """What each model stored in `home` (less the folders in `skip`) says about its training and gate."""
    out = []
    for path in sorted((home / "models").glob("*/card.json")):
        if path.parent.name in skip:
            continue
        try:
            card = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        metrics = card.get("metrics", {}) if isinstance(card.get("metrics"), dict) else {}
        out.append({
            "validation": card.get("validation"),
            "metrics": {k: v for k, v in metrics.items() if not isinstance(v, (list, dict))},
            "finetune": (card.get("training") or {}).get("finetune"),
            "unmapped": card.get("unmapped"),
            "labels_resolved": card.get("resolution") or card.get("mapping"),
        })
    return out


# ----------------------------------------------------------------------------- simple baseline
def lite0_features(paths: list[Path], upscale: bool):
    """Pooled lite0 features [N, 1280] (float32) through the library's own feature graph
    (the frozen trunk every customization reads, with its eval preprocessing)."""
    import numpy as np
    import torch
    from PIL import Image

    from chameleonapi.model.photo_input import feature_graph, prepare, upright_rgb

    graph = feature_graph()
    rows = []
    for start in range(0, len(paths), 4):
        images = []
        for p in paths[start:start + 4]:
            data = p.read_bytes()
            with Image.open(io.BytesIO(servable(data) if upscale else data)) as im:
                im.load()
                images.append(upright_rgb(im))
        rows.append(np.asarray(graph(prepare(images))))
    return torch.from_numpy(np.concatenate(rows).astype("float32"))


def fit_logistic(x, y, classes: int, weight_decay: float = 1e-3, steps: int = 200):
    """Multinomial logistic regression, full batch L-BFGS with an L2 penalty, on
    standardized features. Returns a function from features to class indices."""
    import torch

    torch.manual_seed(0)
    mean, std = x.mean(0), x.std(0).clamp_min(1e-6)
    z = (x - mean) / std
    linear = torch.nn.Linear(z.shape[1], classes)
    torch.nn.init.zeros_(linear.weight)
    torch.nn.init.zeros_(linear.bias)
    opt = torch.optim.LBFGS(linear.parameters(), lr=1.0, max_iter=steps, history_size=20,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(linear(z), y) + weight_decay * linear.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return lambda f: linear((f - mean) / std).argmax(1)


def simple_baseline(ds: DataSet, customize, held, classes) -> dict:
    import torch

    index = {c: i for i, c in enumerate(classes)}
    start = time.perf_counter()
    x = lite0_features([p for p, _ in customize], upscale=False)
    feature_s = time.perf_counter() - start
    y = torch.tensor([index[c] for _, c in customize])
    start = time.perf_counter()
    predict = fit_logistic(x, y, len(classes))
    fit_s = time.perf_counter() - start
    with torch.no_grad():
        predicted = [classes[i] for i in predict(lite0_features([p for p, _ in held], upscale=True)).tolist()]
    top1 = sum(p == c for p, (_, c) in zip(predicted, held)) / len(held)
    log(f"{ds.name}: simple baseline top-1 {top1:.3f} (features {feature_s:.0f} s, fit {fit_s:.1f} s)")
    return {"predicted": predicted, "top1": top1, "feature_s": feature_s, "fit_s": fit_s, "cost_s": feature_s + fit_s}


# ----------------------------------------------------------------------------- scoring
def score(decisions: list, held, truth: dict[str, object]) -> dict:
    wrong = [normal(d) != normal(truth[c]) for d, (_, c) in zip(decisions, held)]
    per_class: dict[str, list[bool]] = {}
    for w, (_, c) in zip(wrong, held):
        per_class.setdefault(c, []).append(w)
    return {"incorrect": sum(wrong) / len(wrong),
            "per_class": {c: sum(v) / len(v) for c, v in sorted(per_class.items())}}


def finetune_env(override: str | None) -> dict[str, str] | None:
    """The environment that switches the library's fine-tuning on, or None when it has none."""
    if override:
        name, _, value = override.partition("=")
        return {name: value}
    from chameleonapi import config

    for key, setting in config.SETTINGS.items():
        if re.search(FINETUNE, key, re.I):
            for value in ("1", "on", "true", "yes"):
                try:
                    setting.parse(value)
                except Exception:  # noqa: BLE001 - try the next spelling of "on"
                    continue
                return {f"CHAMELEONAPI_{key.upper()}": value}
    presets = [b for b in getattr(config, "BUDGETS", ()) if re.search(FINETUNE, b, re.I)
               and not re.search(FINETUNE_CE, b, re.I)]
    if presets:
        return {"CHAMELEONAPI_BUDGET": presets[0]}
    return None


def finetune_ce_env(override: str | None) -> dict[str, str] | None:
    """The environment of fine-tuning with cross-entropy only, or None when the library has none."""
    if override:
        name, _, value = override.partition("=")
        return {name: value}
    from chameleonapi import config

    presets = [b for b in getattr(config, "BUDGETS", ()) if re.search(FINETUNE_CE, b, re.I)]
    return {"CHAMELEONAPI_BUDGET": presets[0]} if presets else None


# ----------------------------------------------------------------------------- main
def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="flowers,cifar", help="data sets, comma-separated (flowers, cifar)")
    parser.add_argument("--apps", default="", help="only these apps (file stems), comma-separated")
    parser.add_argument("--quick", action="store_true",
                        help="small subsets (flowers 24 + 12, CIFAR 12 + 6 photos a class): checks the harness")
    parser.add_argument("--budget", default=None, help="CHAMELEONAPI_BUDGET of the customizations (library default)")
    parser.add_argument("--finetune-env", default=None,
                        help="NAME=VALUE that switches fine-tuning on (default: found in the library's settings)")
    parser.add_argument("--finetune-ce-env", default=None,
                        help="NAME=VALUE of fine-tuning with cross-entropy only (default: a *_ce budget preset)")
    parser.add_argument("--no-finetune", action="store_true", help="leave the fine-tuned columns out")
    parser.add_argument("--shared-cache", action="store_true",
                        help="one cache per data set and column: photo features are read once, so only the first "
                             "app's cost is cold (marked); default: every customization in a cold cache")
    parser.add_argument("--json", type=Path, default=None, help="default benchmarks/results/customize_realphotos.json")
    parser.add_argument("--worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.json = args.json or HERE / "results" / ("customize_realphotos_quick.json" if args.quick
                                                 else "customize_realphotos.json")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.worker:
        return worker(*args.worker)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in sets if s not in DATASETS]
    if unknown:
        raise SystemExit(f"unknown data set(s): {', '.join(unknown)}")
    missing = [str(DATASETS[s].root) for s in sets if not DATASETS[s].root.is_dir()]
    if missing:
        print(f"photos not found at {', '.join(missing)} (the development checkout keeps them in ../shared/data)",
              file=sys.stderr)
        return 2
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="chameleonapi-realphotos-"))
    try:
        finetune = None if args.no_finetune else finetune_env(args.finetune_env)
        finetune_ce = None if args.no_finetune else finetune_ce_env(args.finetune_ce_env)
        log(f"fine-tuning: {finetune if finetune else 'no setting in the library (column n/a)'}; "
            f"cross-entropy only: {finetune_ce if finetune_ce else 'n/a'}")
        base = scratch / "base-home"
        os.environ["CHAMELEONAPI_HOME"] = str(base)
        import torch

        torch.set_num_threads(1)
        start = time.perf_counter()
        from chameleonapi.model.photo_input import feature_graph

        feature_graph()  # converted weights and the exported trunk: what every install makes once
        setup_s = time.perf_counter() - start
        log(f"one-time setup (weights, feature graph): {setup_s:.0f} s")
        results = {name: run_set(DATASETS[name], args, base, scratch, finetune, finetune_ce) for name in sets}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    payload = {
        "split_rule": f"held out iff int(sha256('<class>/<file name>').hexdigest(), 16) % {HELD_OUT_MODULUS} == 0; "
                      "within a class photos are taken in digest order",
        "quick": args.quick, "budget": args.budget or "(library default)",
        "threads": int(os.environ["CHAMELEONAPI_THREADS"]), "finetune_env": finetune, "finetune_ce_env": finetune_ce,
        "shared_cache": args.shared_cache, "one_time_setup_s": setup_s, "sets": results, "wall_s": time.perf_counter() - started,
    }
    print_report(payload)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    print(f"wrote {args.json}")
    return 0


def run_set(ds: DataSet, args, base: Path, scratch: Path, finetune: dict | None,
            finetune_ce: dict | None = None) -> dict:
    classes = tuple(sorted(next(iter(ds.truth.values()))))
    n_c, n_h = ds.quick_per_class if args.quick else (ds.customize_per_class, ds.held_out_per_class)
    customize, held = split(ds.root, classes, n_c, n_h)
    folder = user_folder(customize, scratch / ds.name)
    log(f"{ds.name}: {len(customize)} photos to customize with ({folder}), {len(held)} held out")
    simple = simple_baseline(ds, customize, held, classes)
    apps = [a for a in ds.truth if not args.apps or a in args.apps.split(",")]
    paths = {app: APPS / f"{app}.py" for app in apps}
    held_paths = [p for p, _ in held]
    # the generic labeler answers every app from one process (nothing of it depends on the app)
    generic = run_worker(list(paths.values()), held_paths, {"CHAMELEONAPI_HOME": str(base)}, scratch)
    modes = {"chameleonapi": {}, **({"finetuned": finetune} if finetune else {}),
             **({"finetuned_ce": finetune_ce} if finetune_ce else {})}
    homes = {mode: scratch / f"home-{ds.name}-{mode}" for mode in modes}
    rows = {}
    for app, path in paths.items():
        truth = ds.truth[app]
        row: dict = {"kind": app_kind(path)}
        row["generic"] = column(generic[app], held, truth)
        row["simple"] = {**score([truth[c] for c in simple["predicted"]], held, truth), "cost_s": simple["cost_s"]}
        for mode, extra in modes.items():
            home = homes[mode]
            cache = "features cached" if args.shared_cache and home.exists() else "cold"
            if cache == "cold":
                shutil.rmtree(home, ignore_errors=True)
                shutil.copytree(base, home)
            before = {p.parent.name for p in (home / "models").glob("*/card.json")}
            env = {"CHAMELEONAPI_HOME": str(home), "CHAMELEONAPI_DATA": str(folder), "CHAMELEONAPI_TRAIN": "auto",
                   **({"CHAMELEONAPI_BUDGET": args.budget} if args.budget else {}), **extra}
            row[mode] = column(run_worker([path], held_paths, env, scratch)[app], held, truth)
            row[mode]["cache"] = cache
            row[mode]["cards"] = cards(home, skip=before)
            if not args.shared_cache:
                shutil.rmtree(home, ignore_errors=True)
        for mode in ("finetuned", "finetuned_ce"):
            row.setdefault(mode, None)
        s, c = row["simple"]["incorrect"], row["chameleonapi"].get("incorrect")
        row["chameleonapi_over_simple"] = None if c is None or not s else c / s
        f = (row.get("finetuned") or {}).get("incorrect")
        row["finetuned_over_simple"] = None if f is None or not s else f / s
        f = (row.get("finetuned_ce") or {}).get("incorrect")
        row["finetuned_ce_over_simple"] = None if f is None or not s else f / s
        rows[app] = row
        log(f"[{ds.name}] {app}: " + ", ".join(f"{m} {fmt((row.get(m) or {}).get('incorrect'))}" for m in COLUMNS))
    return {"root": str(ds.root), "classes": list(classes), "customize_photos": len(customize),
            "held_out_photos": len(held), "simple_top1": simple["top1"], "simple_feature_s": simple["feature_s"],
            "simple_fit_s": simple["fit_s"], "apps": rows}


def app_kind(path: Path) -> str:
    """The decision type the analysis finds in the app (it must find exactly one)."""
    from chameleonapi.analysis import analyze

    specs = [s for s in analyze(path) if not s.partial]
    if len(specs) != 1 or specs[0].kind != KINDS[path.stem]:
        raise SystemExit(f"{path.name}: the analysis found {[s.kind for s in specs]}, expected [{KINDS[path.stem]!r}]")
    return specs[0].kind


def column(result: dict, held, truth: dict) -> dict:
    if "error" in result:
        return {"error": result["error"], "incorrect": None, "cost_s": None}
    out = score(result["decisions"], held, truth)
    out.update(cost_s=result["first_call_s"], serve_ms_per_photo=result["serve_ms_per_photo"],
               process_wall_s=result["process_wall_s"], load_average_1min=result["load_average_1min"],
               log=result["log"])
    return out


def fmt(value, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def print_report(payload: dict) -> None:
    print(f"\nCustomization on real photos ({'quick' if payload['quick'] else 'full'} run, "
          f"{payload['threads']} thread(s), budget {payload['budget']})")
    print(f"split: {payload['split_rule']}")
    for name, res in payload["sets"].items():
        print(f"\n{name}: {res['customize_photos']} photos to customize with, {res['held_out_photos']} held out; "
              f"simple baseline top-1 {res['simple_top1']:.3f}")
        print("incorrect-decision rate on held-out photos (cost, s)")
        header = (f"{'app':<24}{'kind':<14}" + "".join(f"{c:>19}" for c in COLUMNS)
                  + f"{'cham/simple':>13}{'ft/simple':>11}{'ftce/simple':>13}")
        print(header)
        print("-" * len(header))
        for app, row in res["apps"].items():
            cells = []
            for c in COLUMNS:
                entry = row.get(c)
                if not entry or entry.get("incorrect") is None:
                    cells.append(f"{'n/a' if not entry else 'error':>19}")
                else:
                    mark = "*" if entry.get("cache") == "features cached" else " "
                    cells.append(f"{entry['incorrect']:>9.3f} ({entry['cost_s']:>5.0f}){mark}")
            print(f"{app:<24}{KIND_OF.get(row['kind'], row['kind']):<14}" + "".join(cells)
                  + f"{fmt(row['chameleonapi_over_simple'], 2):>13}{fmt(row['finetuned_over_simple'], 2):>11}"
                  + f"{fmt(row.get('finetuned_ce_over_simple'), 2):>13}")
        for app, row in res["apps"].items():
            for mode in ("chameleonapi", "finetuned", "finetuned_ce"):
                for card in (row.get(mode) or {}).get("cards", []):
                    v = card.get("validation") or {}
                    print(f"  {app} {mode}: served {v.get('served')} ({v.get('reason')}); "
                          f"held out: {fmt(row[mode].get('incorrect'))}")
                    tuned = card.get("finetune") or {}
                    if tuned.get("reason"):
                        print(f"    last stage: {tuned.get('served')} ({tuned['reason']}; {tuned.get('seconds', 0):.0f} s)")
    if payload["shared_cache"]:
        print("* photo features cached by an earlier app's customization (cost not cold)")
    print(f"\nwall time: {payload['wall_s']:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
