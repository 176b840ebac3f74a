"""The backbone's last stage as a module of its own: what partial fine-tuning trains and a
fine-tuned model serves (`training/finetune.py`, `model/photo.py`).

The trunk up to the last stage is shared by every model; `tf_efficientnet_lite0`'s last stage
is `blocks[6]` (one MBConv block reading 192x7x7 at 224 px), then `conv_head`, its norm and
the average pooling give the 1280 pooled features.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["STAGE", "Tail", "make_tail", "trunk_to_stage"]

STAGE = 6  # index of the last stage in `model.blocks`


class Tail(nn.Module):
    """The last stage of the backbone, its head convolution and the pooling: stage input ->
    pooled features [N, 1280]."""

    def __init__(self, stage: nn.Module, conv_head: nn.Module, norm: nn.Module) -> None:
        super().__init__()
        self.stage, self.conv_head, self.norm = stage, conv_head, norm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv_head(self.stage(x))).mean(dim=(2, 3))


def make_tail(state: dict[str, torch.Tensor] | None = None) -> Tail:
    """The ImageNet last stage with its norms folded (as served), or one holding `state`."""
    from chameleonapi.model.backbone import create_backbone, fold_batchnorm

    model = create_backbone(pretrained=state is None)
    tail = Tail(model.blocks[STAGE], model.conv_head, model.bn2)
    fold_batchnorm(tail)
    if state is not None:
        tail.load_state_dict(state, strict=True)
    for param in tail.parameters():
        param.requires_grad_(True)
    return tail.eval()


def trunk_to_stage(model, batch: torch.Tensor) -> torch.Tensor:
    """Activations at the last stage's input of a preprocessed batch (the frozen trunk)."""
    return model.blocks[:STAGE](model.bn1(model.conv_stem(batch)))
