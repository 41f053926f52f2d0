"""Softmax cross-entropy with per-class weights that tolerates ignored pixels.

mmseg 1.2.2's ``CrossEntropyLoss(class_weight=...)`` computes its average factor
by indexing the class-weight table with every label in a Python loop, so any
ignored pixel (255: crop padding, unlabelled regions) raises ``IndexError``.
This loss computes the same weighted mean in one vectorised pass:

.. math::

    L = \\frac{\\sum_p \\omega_p \\, w_{y_p} \\, CE_p}
             {\\sum_p \\omega_p \\, w_{y_p} \\, [y_p \\neq ignore]}

with :math:`w_c` the class weight and :math:`\\omega_p` the optional pixel weight
(mmseg's ``seg_weight``, e.g. 0/1 from ``OHEMPixelSampler``). Without pixel
weights this is exactly ``torch.nn.functional.cross_entropy(weight=w,
ignore_index=...)``.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from hp_mm.registry import MODELS


def class_weighted_cross_entropy(seg_logits: Tensor,
                                 seg_label: Tensor,
                                 class_weight: Tensor,
                                 weight: Optional[Tensor] = None,
                                 ignore_index: int = 255) -> Tensor:
    """Class- and pixel-weighted mean cross-entropy.

    Args:
        seg_logits (Tensor): Logits of shape (N, C, H, W).
        seg_label (Tensor): Labels of shape (N, H, W); values in [0, C) or
            ``ignore_index``.
        class_weight (Tensor): Weights of shape (C, ).
        weight (Tensor, optional): Pixel weights of shape (N, H, W).
        ignore_index (int): Label ignored by the loss. Defaults to 255.

    Returns:
        Tensor: Scalar loss; 0 (with a gradient path) when no pixel counts.
    """
    num_classes = seg_logits.shape[1]
    if class_weight.numel() != num_classes:
        raise ValueError(f'class_weight has {class_weight.numel()} entries but the logits '
                         f'have {num_classes} classes')
    valid = seg_label != ignore_index
    bad = valid & ((seg_label < 0) | (seg_label >= num_classes))
    if bad.any():
        raise ValueError(f'seg_label holds {seg_label[bad][0].item()}, expected values in '
                         f'[0, {num_classes}) or ignore_index={ignore_index}')
    ce = F.cross_entropy(seg_logits, seg_label, reduction='none', ignore_index=ignore_index)
    class_weight = class_weight.to(device=ce.device, dtype=ce.dtype)
    pixel_weight = class_weight[torch.where(valid, seg_label, 0)] * valid
    if weight is not None:
        pixel_weight = pixel_weight * weight.to(ce.dtype)
    return (ce * pixel_weight).sum() / pixel_weight.sum().clamp(min=torch.finfo(ce.dtype).eps)


@MODELS.register_module()
class ClassWeightedCrossEntropyLoss(nn.Module):
    """Cross-entropy with per-class weights, for mmseg decode heads.

    A drop-in for ``CrossEntropyLoss(class_weight=...)`` in ``loss_decode``
    that works with ignored pixels and pixel samplers (OHEM).

    Args:
        class_weight (Sequence[float]): One weight per class, in the dataset's
            class order.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Name in the log; must start with ``loss_``.
            Defaults to ``'loss_ce'``.
    """

    def __init__(self,
                 class_weight: Sequence[float],
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_ce'):
        super().__init__()
        weights = torch.as_tensor(class_weight, dtype=torch.float32)
        if weights.ndim != 1 or weights.numel() == 0 or not torch.all(weights >= 0):
            raise ValueError('class_weight must be a non-empty list of non-negative floats, '
                             f'got {class_weight!r}')
        if not loss_name.startswith('loss_'):
            raise ValueError(f'loss_name must start with "loss_", got {loss_name!r}')
        self.register_buffer('class_weight', weights, persistent=False)
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: int = 255,
                **kwargs) -> Tensor:
        """Loss of logits (N, C, H, W) against labels (N, H, W)."""
        return self.loss_weight * class_weighted_cross_entropy(
            cls_score, label, self.class_weight, weight=weight, ignore_index=ignore_index)

    @property
    def loss_name(self) -> str:
        return self._loss_name
