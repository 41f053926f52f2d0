"""ISP's part classifier, weighted part pooling and part visibility.

Zhu et al., "Identity-Guided Human Semantic Parsing for Person
Re-Identification" (ISP), eq. 2 and 5-8. Checked against CASIA-IVA-Lab/ISP-reID
``modeling/backbones/cls_hrnet.py`` (``HighResolutionNet.forward``: a 1x1 conv
with bias, softmax over K, ``gap(x * P_k)`` for the parts,
``gap(x * sum_{k>=1} P_k)`` for the foreground, ``gap(x)`` for the global
feature) and ``modeling/baseline.py`` (visibility: part k is visible when it is
the argmax at some position).

Note:
    N: batch; C: channels of ``M_g``; h, w: feature-map size; K: classes,
    background (0) included, so K - 1 parts.
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from hp_mm.registry import MODELS


def weighted_part_pooling(feats: Tensor, probs: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """Part, foreground and global features by weighted pooling (eq. 2, Sec. 3.3).

    ``M_k = P_k o M_g``; ``F_k = GAP(M_k)`` (the mean over all h*w positions,
    not normalised by the part's area, as the official ``gap(x * P_k)``);
    ``F_f = GAP(sum_{k>=1} M_k) = sum_{k>=1} F_k``; ``F_g = GAP(M_g)``.

    Args:
        feats (Tensor): ``M_g``, shape (N, C, h, w).
        probs (Tensor): ``P`` (softmax over K), shape (N, K, h, w).

    Returns:
        tuple[Tensor, Tensor, Tensor]: ``parts`` (N, K-1, C) = F_1..F_{K-1},
        ``foreground`` (N, C) = F_f and ``global`` (N, C) = F_g.
    """
    if feats.dim() != 4 or probs.dim() != 4 or feats.shape[0] != probs.shape[0] \
            or feats.shape[2:] != probs.shape[2:]:
        raise ValueError(f'feats (N, C, h, w) and probs (N, K, h, w) must agree, got '
                         f'{tuple(feats.shape)} and {tuple(probs.shape)}')
    hw = feats.shape[2] * feats.shape[3]
    # (N, K-1, h*w) x (N, h*w, C) -> (N, K-1, C), divided by h*w (GAP)
    parts = torch.bmm(probs[:, 1:].flatten(2), feats.flatten(2).transpose(1, 2)) / hw
    return parts, parts.sum(1), feats.mean((2, 3))


def part_visibility(logits: Tensor) -> Tensor:
    """Which parts are visible (eq. 8): part k is the argmax at some position.

    Args:
        logits (Tensor): Part scores or probabilities, shape (N, K, h, w).

    Returns:
        Tensor: ``l`` (N, K-1) bool, ``l[:, k-1]`` for part k = 1..K-1.
    """
    N, K = logits.shape[:2]
    arg = logits.argmax(1).flatten(1)  # (N, h*w)
    hit = torch.zeros((N, K), dtype=torch.bool, device=logits.device)
    hit.scatter_(1, arg, torch.ones_like(arg, dtype=torch.bool))  # a tensor src: ONNX-traceable
    return hit[:, 1:]


@MODELS.register_module()
class ISPPartHead(BaseModule):
    """Part classifier ``P_k = softmax_k(W_k^T M_g)`` (eq. 5) and its loss (eq. 6).

    A 1x1 conv (with bias, as the official ``part_cls_layer``) from ``M_g`` to
    K part scores. The parsing loss is a cross-entropy against the pseudo-labels,
    averaged over the labelled positions (the official ``nn.CrossEntropyLoss``;
    eq. 6 writes the sum) and weighted by alpha (eq. 7, 0.1 in the paper): it is
    mmseg's ``CrossEntropyLoss`` with ``avg_non_ignore=True`` (checked against
    the formula in the tests). The pseudo-labels, at input resolution after the
    pipeline, are taken to the score map's size by nearest sampling (the
    official code trains at the 1/4 map's 64x32).

    Args:
        in_channels (int): C of ``M_g``.
        num_classes (int): K, background included (paper Table 4: 4..8).
        loss_parsing (dict): Loss config. Defaults to mmseg
            ``CrossEntropyLoss`` with ``loss_weight=0.1``.
        ignore_index (int): Label ignored by the loss (padding). Defaults to 255.
        init_cfg (dict, optional): Initialisation config.

    Shapes:
        ``forward``: feats (N, C, h, w) -> logits (N, K, h, w).
    """

    def __init__(self, in_channels: int, num_classes: int,
                 loss_parsing: dict = dict(type='CrossEntropyLoss', avg_non_ignore=True,
                                           loss_weight=0.1, loss_name='loss_parsing'),
                 ignore_index: int = 255, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_classes < 2:
            raise ValueError(f'ISPPartHead: num_classes (K, background included) must be >= 2, '
                             f'got {num_classes}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.conv_part = nn.Conv2d(in_channels, num_classes, kernel_size=1)
        self.loss_parsing = MODELS.build(loss_parsing)

    def forward(self, feats: Tensor) -> Tensor:
        return self.conv_part(feats)

    def pool(self, feats: Tensor, logits: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Softmax (eq. 5) and :func:`weighted_part_pooling`."""
        return weighted_part_pooling(feats, F.softmax(logits, dim=1))

    def loss(self, logits: Tensor, pseudo_labels: Tensor) -> Dict[str, Tensor]:
        """Parsing loss (eq. 6, times alpha).

        Args:
            logits (Tensor): (N, K, h, w).
            pseudo_labels (Tensor): (N, H, W) integer labels (0..K-1 or
                ``ignore_index``), any resolution.

        Returns:
            dict[str, Tensor]: ``{loss_name: loss}``.
        """
        labels = pseudo_labels
        if labels.dim() == 4:
            labels = labels.squeeze(1)
        if labels.shape[-2:] != logits.shape[-2:]:
            labels = F.interpolate(labels[:, None].float(), size=logits.shape[-2:],
                                   mode='nearest')[:, 0]
        labels = labels.long()
        bad = (labels >= self.num_classes) & (labels != self.ignore_index)
        if bad.any():
            raise ValueError(f'ISPPartHead: pseudo-labels hold {int(labels[bad].max())}, but '
                             f'num_classes is {self.num_classes}: the clustering and the head '
                             'must use the same K')
        loss = self.loss_parsing(logits, labels, ignore_index=self.ignore_index)
        return {self.loss_parsing.loss_name: loss}
