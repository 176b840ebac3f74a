"""Darknet networks in torch: a `.cfg` file read into `nn.Module`s, `.weights` read into them.

The generic photo detector is the official YOLOv4-tiny (COCO, 80 classes) as darknet ships
it. Rebuilding it in torch from its own cfg keeps it trainable (the count-decision loss
fine-tunes its heads) and needs nothing but torch: the layers it uses are convolution
(+ batch norm, leaky ReLU), route (with `groups`), max-pool, upsample and yolo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Darknet", "YoloLayer", "parse_cfg", "read_weights"]


def parse_cfg(text: str) -> list[dict[str, str]]:
    """Sections of a darknet cfg, in order: `{"type": "convolutional", "filters": "32", ...}`."""
    blocks: list[dict[str, str]] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            blocks.append({"type": line.strip("[]").strip()})
        elif "=" in line and blocks:
            key, value = line.split("=", 1)
            blocks[-1][key.strip()] = value.strip()
    return blocks


def _ints(value: str) -> list[int]:
    return [int(v) for v in value.replace(" ", "").split(",") if v]


@dataclass(frozen=True)
class YoloLayer:
    """One yolo output: its anchors (pixels of the network input), classes and xy scale."""

    anchors: tuple[tuple[float, float], ...]
    classes: int
    scale_xy: float


class Darknet(nn.Module):
    """A darknet network built from its cfg; `forward` gives the raw yolo maps [N, A*(5+C), H, W]."""

    def __init__(self, cfg: str) -> None:
        super().__init__()
        blocks = parse_cfg(cfg)
        net, layers = blocks[0], blocks[1:]
        self.cfg = cfg
        self.width, self.height = int(net.get("width", 416)), int(net.get("height", 416))
        self.defs = layers
        self.layers = nn.ModuleList()
        self.yolo: list[YoloLayer] = []
        channels: list[int] = []
        prev = int(net.get("channels", 3))
        for block in layers:
            kind = block["type"]
            module: nn.Module = nn.Identity()
            if kind == "convolutional":
                filters, size = int(block["filters"]), int(block["size"])
                stride, bn = int(block.get("stride", 1)), int(block.get("batch_normalize", 0))
                pad = size // 2 if int(block.get("pad", 0)) else 0
                seq = nn.Sequential()
                seq.add_module("conv", nn.Conv2d(prev, filters, size, stride, pad, bias=not bn))
                if bn:
                    seq.add_module("bn", nn.BatchNorm2d(filters, momentum=0.01, eps=1e-5))
                if block.get("activation") == "leaky":
                    seq.add_module("act", nn.LeakyReLU(0.1))
                elif block.get("activation", "linear") != "linear":
                    raise ValueError(f"unsupported darknet activation {block['activation']!r}")
                module, out = seq, filters
            elif kind == "route":
                sources = [i if i >= 0 else len(channels) + i for i in _ints(block["layers"])]
                groups = int(block.get("groups", 1))
                out = sum(channels[i] for i in sources) // groups
            elif kind == "maxpool":
                out = prev
            elif kind == "upsample":
                out = prev
            elif kind == "yolo":
                mask = _ints(block["mask"])
                flat = [float(v) for v in block["anchors"].replace(" ", "").split(",") if v]
                pairs = [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]
                self.yolo.append(YoloLayer(tuple(pairs[i] for i in mask), int(block["classes"]),
                                           float(block.get("scale_x_y", 1.0))))
                out = prev
            else:
                raise ValueError(f"unsupported darknet layer [{kind}]")
            self.layers.append(module)
            channels.append(out)
            prev = out

    @property
    def classes(self) -> int:
        return self.yolo[0].classes

    @property
    def head_indices(self) -> list[int]:
        """The convolutions that give each yolo layer its map (the part a customization trains)."""
        return [i - 1 for i, block in enumerate(self.defs) if block["type"] == "yolo"]

    def head_inputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """What each head convolution reads, for `x` (computed once, then the heads train alone)."""
        return self.forward(x, inputs_of_heads=True)

    def heads(self, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
        """The yolo maps from the head inputs."""
        return [self.layers[i](t) for i, t in zip(self.head_indices, inputs)]

    def forward(self, x: torch.Tensor, inputs_of_heads: bool = False) -> list[torch.Tensor]:
        outputs: list[torch.Tensor] = []
        maps: list[torch.Tensor] = []
        heads = set(self.head_indices) if inputs_of_heads else set()
        for index, (block, module) in enumerate(zip(self.defs, self.layers)):
            kind = block["type"]
            if index in heads:
                maps.append(x)
                x = module(x)
            elif kind == "convolutional":
                x = module(x)
            elif kind == "route":
                sources = [i if i >= 0 else len(outputs) + i for i in _ints(block["layers"])]
                groups, group = int(block.get("groups", 1)), int(block.get("group_id", 0))
                parts = [outputs[i] for i in sources]
                if groups > 1:
                    parts = [p.chunk(groups, dim=1)[group] for p in parts]
                x = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
            elif kind == "maxpool":
                size, stride = int(block["size"]), int(block.get("stride", 1))
                if stride == 1:  # darknet keeps the size: pad right/bottom
                    x = F.max_pool2d(F.pad(x, (0, size - 1, 0, size - 1), mode="replicate"), size, 1)
                else:
                    x = F.max_pool2d(x, size, stride)
            elif kind == "upsample":
                x = F.interpolate(x, scale_factor=int(block.get("stride", 2)), mode="nearest")
            elif kind == "yolo" and not inputs_of_heads:
                maps.append(x)
            outputs.append(x)
        return maps


def read_weights(model: Darknet, data: bytes) -> dict[str, torch.Tensor]:
    """The state dict of `model` filled from a darknet `.weights` file (checked to the byte)."""
    major, minor, _ = np.frombuffer(data[:12], dtype=np.int32)
    offset = 12 + (8 if major * 10 + minor >= 2 else 4)
    if (len(data) - offset) % 4:
        raise ValueError("the darknet weights file is truncated (not a whole number of float32 values)")
    values = np.frombuffer(data, dtype=np.float32, offset=offset)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    pos = 0

    def take(name: str) -> None:
        nonlocal pos
        target = state[name]
        count = target.numel()
        if pos + count > values.size:
            raise ValueError("the darknet weights file is shorter than its cfg needs")
        state[name] = torch.from_numpy(values[pos : pos + count].copy()).view_as(target)
        pos += count

    for index, block in enumerate(model.defs):
        if block["type"] != "convolutional":
            continue
        prefix = f"layers.{index}."
        if int(block.get("batch_normalize", 0)):
            for field in ("bias", "weight", "running_mean", "running_var"):
                take(prefix + "bn." + field)
        else:
            take(prefix + "conv.bias")
        take(prefix + "conv.weight")
    if pos != values.size:
        raise ValueError(f"the darknet weights file holds {values.size - pos} values more than its cfg needs")
    return state
