"""The serving form of the backbone answers exactly as the trained form does."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from chameleonapi.model.backbone import create_backbone, for_inference  # noqa: E402
from chameleonapi.training.photo_features import pooled, prepare  # noqa: E402
from tests.images import photo  # noqa: E402


def test_folded_channels_last_backbone_gives_the_same_features_and_classes():
    import io

    from PIL import Image

    plain = create_backbone(pretrained=True)
    served = for_inference(create_backbone(pretrained=True))
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in served.modules())
    images = [Image.open(io.BytesIO(photo(name))) for name in ("chelsea", "coffee", "rocket")]
    batch = torch.from_numpy(prepare(images))
    with torch.inference_mode():
        a, b = pooled(plain, batch), pooled(served, batch)
        logits_a, logits_b = plain(batch), served(batch)
    assert torch.allclose(a, b, atol=1e-3, rtol=1e-4)
    assert torch.equal(logits_a.argmax(1), logits_b.argmax(1))
    assert torch.allclose(logits_a.softmax(1), logits_b.softmax(1), atol=1e-5)


def test_static_padding_gives_the_same_outputs_at_its_size():
    import torch

    from chameleonapi.model.backbone import create_backbone, for_inference, static_padding

    model = for_inference(create_backbone(pretrained=True))
    padded = static_padding(model, 160)
    x = torch.rand(2, 3, 160, 160)
    with torch.no_grad():
        assert torch.allclose(model(x), padded(x), atol=1e-6)
    assert not any(type(m).__name__ == "Conv2dSame" for m in padded.modules())
    assert any(type(m).__name__ == "Conv2dSame" for m in model.modules())  # the model itself is left as it was
