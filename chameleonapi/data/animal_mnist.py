"""Read the animal-mnist tiles as data: no unpickling, no import of the package's modules.

The PyPI package `animal-mnist==0.4` (MIT, see NOTICE-animal-mnist.txt) ships two gzip'd
numpy pickles. Its modules import tensorflow, and unpickling runs arbitrary code, so the
files are parsed with `pickletools.genops`: the array bytes are one BINBYTES op, the shape
and dtype are the plain values before it. The result is converted once to `.npz`.
"""

from __future__ import annotations

import gzip
import importlib.util
import pickletools
from functools import lru_cache
from pathlib import Path

import numpy as np

from chameleonapi import config
from chameleonapi.atomic import atomic_write_via
from chameleonapi.errors import Error

CLASSES = ("bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra")
DATA_FILE = "animal_data_version_3.gz"
LABEL_FILE = "animal_label_version_3.gz"
_DTYPES = {"u1": np.uint8, "i8": np.int64}
INSTALL_HINT = "pip install --no-deps animal-mnist==0.4"


class BuiltinDataMissing(Error, RuntimeError):
    """The animal-mnist package (the built-in data) is not installed."""


def package_dir() -> Path:
    """Folder of the installed animal_mnist package, found without importing it."""
    spec = importlib.util.find_spec("animal_mnist")
    if spec is None or not spec.submodule_search_locations:
        raise BuiltinDataMissing(
            f"the built-in data comes from the package 'animal-mnist'; install it with: {INSTALL_HINT}"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "data" / "Animal_MNIST"
    if not (folder / DATA_FILE).exists() or not (folder / LABEL_FILE).exists():
        raise BuiltinDataMissing(f"animal-mnist data files are missing under {folder}; reinstall: {INSTALL_HINT}")
    return folder


def parse_numpy_pickle(blob: bytes) -> np.ndarray:
    """Rebuild the ndarray of a numpy pickle from its opcodes, executing nothing.

    numpy pickles an array as `_reconstruct(...)` then `BUILD` with the state
    `(version, shape, dtype, is_fortran, raw_bytes)`; the shape is the tuple right after
    the state's version int, the dtype string follows the `dtype` global.
    """
    ops = list(pickletools.genops(blob))
    strings = [arg for op, arg, _ in ops if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE")]
    # the dtype's code ("u1", "i8") is the first string after the "dtype" global's name
    after = strings[strings.index("dtype") + 1 :] if "dtype" in strings else []
    dtype_code = next((s for s in after if s in _DTYPES), None)
    # shape: after the first REDUCE, a MARK, the version int, then ints up to a TUPLE op
    shape: list[int] | None = None
    seen_reduce = False
    for i, (op, _arg, _) in enumerate(ops):
        if op.name == "REDUCE":
            seen_reduce = True
        elif seen_reduce and op.name == "MARK":
            ints = []
            for op2, arg2, _ in ops[i + 2 :]:
                if (op2.name.startswith("BININT") or op2.name == "INT") and isinstance(arg2, int):
                    ints.append(int(arg2))
                elif op2.name.startswith("TUPLE"):
                    break
                else:
                    ints = []
                    break
            shape = ints
            break
    raw = [arg for op, arg, _ in ops if op.name in ("BINBYTES", "SHORT_BINBYTES", "BINBYTES8") and isinstance(arg, bytes)]
    if dtype_code not in _DTYPES or not shape or not raw:
        raise ValueError("not a plain numpy array pickle (unexpected opcodes)")
    dtype = np.dtype(_DTYPES[dtype_code]).newbyteorder("<")
    data = max(raw, key=len)
    count = int(np.prod(shape))
    if len(data) != count * dtype.itemsize:
        raise ValueError(f"array bytes ({len(data)}) do not fit shape {shape} of {dtype}")
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def npz_path() -> Path:
    return config.home() / "data" / "animal_mnist_v3.npz"


def load_tiles() -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 [10000, 28, 28], labels int64 [10000]) from the cache or the package.

    Read once per process and cache folder; the arrays are read-only.
    """
    return _load_tiles(str(npz_path()))


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The cached arrays; None when absent. A damaged file is moved aside (rebuilt by the caller)."""
    import zipfile

    from chameleonapi import artifacts

    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"]
        if images.ndim != 3 or images.dtype != np.uint8 or labels.shape != images.shape[:1]:
            raise ValueError(f"arrays of shapes {images.shape} / {labels.shape}")
    except (zipfile.BadZipFile, EOFError, KeyError, ValueError) as exc:
        artifacts.move_aside(path, f"unreadable ({exc})")
        return None
    return images, labels


@lru_cache(maxsize=2)
def _load_tiles(npz: str) -> tuple[np.ndarray, np.ndarray]:
    from chameleonapi import artifacts

    path = Path(npz)
    got = _read_npz(path)
    if got is None:
        folder = package_dir()
        images = parse_numpy_pickle(gzip.decompress((folder / DATA_FILE).read_bytes()))
        labels = parse_numpy_pickle(gzip.decompress((folder / LABEL_FILE).read_bytes()))
        if images.shape[0] != labels.shape[0] or images.ndim != 3:
            raise ValueError(f"unexpected animal-mnist shapes {images.shape} / {labels.shape}")
        images, labels = images.astype(np.uint8), labels.astype(np.int64)

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, images=images, labels=labels)

        try:
            atomic_write_via(path, write)
            artifacts.drop_aside(path)
        except OSError as exc:
            if not artifacts.is_unwritable(exc):
                raise
            artifacts.warn_unwritable(exc)
        got = images, labels
    images, labels = got
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels
