"""One photo preprocessing for every path: a portrait photo stored sideways with an EXIF
orientation tag is seen as its upright copy by serving (generic and customized labelers, on
ONNX Runtime and on torch), by photo feature extraction and by evaluation."""

from __future__ import annotations

import io
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from PIL import Image  # noqa: E402

from chameleonapi.imaging import decode_image  # noqa: E402
from chameleonapi.model.photo_input import prepare  # noqa: E402

PHOTOS = Path(str(resources.files("chameleonapi.examples").joinpath("images")))
RUNTIMES = ["onnx", "torch"]


def jpeg(image: Image.Image, orientation: int | None = None) -> bytes:
    """`image` as a near-lossless JPEG, with an EXIF Orientation tag when given."""
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=100, subsampling=0, exif=exif.tobytes())
    return out.getvalue()


def upright_and_sideways(stem: str = "chelsea") -> tuple[bytes, bytes, bytes]:
    """(upright JPEG, the same stored turned a quarter left with Orientation 6 = "turn it right
    to view", the same sideways pixels with no tag): what a phone held in portrait writes."""
    source = Image.open(PHOTOS / f"{stem}.jpg").convert("RGB")
    w, h = source.size
    upright = source.crop((0, 0, w - w % 16, h - h % 16))
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    return jpeg(upright), jpeg(sideways, 6), jpeg(sideways)


def decoded(data: bytes):
    from chameleonapi.services import descriptor

    return decode_image(data, descriptor("google").policy).image


def test_the_tagged_photo_is_prepared_as_its_upright_copy_and_the_untagged_one_is_not():
    upright, tagged, untagged = (prepare([decoded(d)])[0] for d in upright_and_sideways())
    assert np.abs(tagged - upright).mean() < 0.01
    assert np.abs(untagged - upright).mean() > 10 * np.abs(tagged - upright).mean()


def test_the_input_follows_the_backbones_data_config():
    import timm
    from timm.data import resolve_data_config

    from chameleonapi.model.backbone import ARCH
    from chameleonapi.model.photo_input import data_config

    assert data_config() == resolve_data_config({}, model=timm.create_model(ARCH, pretrained=False))


@pytest.fixture(params=RUNTIMES)
def runtime(request) -> str:
    return request.param


@pytest.fixture
def serving_env(runtime, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_RUNTIME", runtime)
    return monkeypatch


def close(a: np.ndarray, b: np.ndarray, atol: float = 0.02) -> bool:
    return a.shape == b.shape and np.allclose(a, b, atol=atol)


def test_serving_answers_the_tagged_photo_as_its_upright_copy(google_calls, runtime):
    """A real Google Cloud Vision call through the patched client, on each runtime."""
    from google.cloud import vision

    from chameleonapi.model.generic import shared_labeler

    client = vision.ImageAnnotatorClient()
    upright, tagged, _ = upright_and_sideways()
    answers = []
    for data in (upright, tagged):
        response = client.label_detection(image=vision.Image(content=data), max_results=5)
        answers.append([(a.description, a.score) for a in response.label_annotations])
    assert len(google_calls) == 2 and shared_labeler().runtime == runtime
    assert answers[0] and [n for n, _ in answers[0]] == [n for n, _ in answers[1]]
    assert close(np.array([s for _, s in answers[0]]), np.array([s for _, s in answers[1]]))


def test_the_customized_labeler_reads_the_tagged_photo_as_its_upright_copy(serving_env, runtime):
    from chameleonapi.model import photo
    from chameleonapi.model.labelspace import LabelSpace, resolve_name

    space = LabelSpace.generic().extended([resolve_name("deer")])
    model = photo.PhotoModel.generic(space, "google")
    assert model.runtime == runtime
    photo._MEMO.clear()
    upright, tagged, untagged = (model.predict([decoded(d)])[0] for d in upright_and_sideways())
    assert close(upright, tagged) and upright.argmax() == tagged.argmax()
    assert np.abs(untagged - upright).max() > np.abs(tagged - upright).max()


def photo_folder(root: Path, which: int) -> Path:
    """root/cat/*.jpg and root/coffee/*.jpg: crops of the bundled photos, each stored as
    `upright_and_sideways` returns it at position `which` (same file names in every folder)."""
    for label, stem in (("cat", "chelsea"), ("coffee", "coffee")):
        (root / label).mkdir(parents=True)
        source = Image.open(PHOTOS / f"{stem}.jpg").convert("RGB")
        w, h = source.size
        for i in range(12):
            f = 0.7 + 0.03 * i
            crop = source.crop((0, 0, int(w * f), int(h * f))).resize((160, 112))
            upright = crop.crop((0, 0, 160, 112))
            variants = (jpeg(upright), jpeg(upright.transpose(Image.Transpose.ROTATE_90), 6),
                        jpeg(upright.transpose(Image.Transpose.ROTATE_90)))
            (root / label / f"{i:02d}.jpg").write_bytes(variants[which])
    return root


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> list[Path]:
    """The same photos upright, tagged sideways, and sideways with no tag."""
    return [photo_folder(tmp_path_factory.mktemp(f"photos{which}"), which) for which in range(3)]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_feature_extraction_reads_tagged_photos_as_their_upright_copies(folders, runtime):
    from chameleonapi.data.folder import ImageFolder
    from chameleonapi.training import photo_features as pf

    upright, tagged, untagged = (
        pf.compute(ImageFolder(root, "train", val_fraction=0.0, test_fraction=0.0), runtime=runtime).float().numpy()
        for root in folders
    )
    cosine = lambda a, b: (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)  # noqa: E731
    assert len(upright) == len(tagged) == 24 and cosine(upright, tagged).min() > 0.99
    assert cosine(upright, untagged).mean() < 0.95


def test_evaluation_scores_tagged_photos_as_their_upright_copies(folders):
    from chameleonapi.analysis import analyze
    from chameleonapi.model.photo import PhotoModel
    from chameleonapi.training.pipeline import evaluate

    spec = analyze(resources.files("chameleonapi.examples").joinpath("pet_door.py").read_text())[0]
    model = PhotoModel.generic(provider=spec.provider)
    rates = [evaluate(model, spec, str(root), split="train") for root in folders[:2]]
    assert rates[0] == rates[1]
