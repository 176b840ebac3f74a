"""Photo features as a Ray job (local Ray, two CPUs) match the single-process features, and
go through the shared store (moto's S3 server) as checksummed shards."""

from __future__ import annotations

import random
import sys
import time

import pytest

pytest.importorskip("torch")

import torch  # noqa: E402

from chameleonapi import objectstore  # noqa: E402
from chameleonapi.data.folder import ImageFolder  # noqa: E402
from chameleonapi.training import photo_features  # noqa: E402

N_PHOTOS = 50


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """50 small JPEG photos in two label folders, and one file that is not an image."""
    from PIL import Image, ImageDraw

    root = tmp_path_factory.mktemp("photos")
    rng = random.Random(0)
    for i in range(N_PHOTOS):
        label = ("cat", "dog")[i % 2]
        (root / label).mkdir(exist_ok=True)
        image = Image.new("RGB", (48 + i, 40 + i), tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(image)
        for _ in range(4):
            box = sorted(rng.randrange(40) for _ in range(2)) + sorted(rng.randrange(40) for _ in range(2))
            draw.ellipse((box[0], box[2], box[1] + 4, box[3] + 4), fill=tuple(rng.randrange(256) for _ in range(3)))
        image.save(root / label / f"{i:03d}.jpg", quality=90)
    (root / "cat" / "broken.jpg").write_bytes(b"not a jpeg")
    return root


def test_training_without_the_setting_imports_neither_ray_nor_a_store_client():
    import subprocess

    code = ("import sys, chameleonapi.training.pipeline, chameleonapi.training.photo_features, chameleonapi.artifacts, "
            "chameleonapi.serving.resolution; "
            "print(sorted(m for m in ('ray', 'boto3', 'fsspec.implementations.local', 's3fs') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def start_ray(ray, attempts: int = 3) -> None:
    """A local Ray; its start-up gives up when the raylet has not registered within a fixed
    30 s (a loaded machine), so it gets two more tries, a few seconds apart, before the test
    counts it as a failure."""
    for attempt in range(1, attempts + 1):
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            return
        except Exception:  # noqa: BLE001 - Ray raises a bare Exception for this
            ray.shutdown()
            if attempt == attempts:
                raise
            time.sleep(5)


def test_features_on_ray_match_one_process(photos, s3_store):
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    from chameleonapi.training.scaleout import compute_on_ray, on_ray

    dataset = ImageFolder(photos, "train", val_fraction=0.0, test_fraction=0.0)
    assert len(dataset) == N_PHOTOS + 1
    ray_loaded_before = "ray" in sys.modules
    single, single_bad = photo_features.compute_with_mask(dataset, batch_size=16)
    assert ray_loaded_before or "ray" not in sys.modules  # without the setting, nothing imports Ray

    start_ray(ray)
    try:
        feats, bad = compute_on_ray(dataset, size=photo_features.INPUT_SIZE, batch_size=16, workers=2,
                                    features_file=photo_features.cache_path(dataset))
        assert torch.equal(bad, single_bad) and int(bad.sum()) == 1
        assert feats.shape == single.shape
        assert torch.allclose(feats.float(), single.float(), rtol=1e-3, atol=1e-3)
        shared = objectstore.open_store(s3_store)
        assert shared.list("features/") == []  # shards joined into the features file, then removed

        # the training path (batches of 64): the features file is joined, cached and published
        cached, cached_bad = photo_features.features_and_mask(dataset, compute=on_ray)
        assert torch.equal(cached_bad, bad)
        assert torch.allclose(cached.float(), single.float(), rtol=1e-3, atol=1e-3)
        assert shared.list("features/") == [f"features/{photo_features.cache_path(dataset).name}"]
    finally:
        ray.shutdown()
