"""C²L part contrastive module (paper Sec. 3.2, eq. 1)."""
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from scipy.optimize import linear_sum_assignment

from hp_mm.registry import MODELS


def hungarian_part_matching(similarity: torch.Tensor) -> torch.Tensor:
    """For each part of view 1 the part of view 2 that a maximal-similarity matching gives it.

    Args:
        similarity (Tensor): Part similarities ``s[b, i, j] = g_i . t_j``, shape
            (B, N, N).

    Returns:
        Tensor: int64 permutations, shape (B, N): ``perm[b, i]`` is the positive key of
        query i (``scipy.optimize.linear_sum_assignment(..., maximize=True)`` per image,
        no gradient).
    """
    if similarity.dim() != 3 or similarity.shape[1] != similarity.shape[2]:
        raise ValueError(f'similarity must have shape (B, N, N), got {tuple(similarity.shape)}')
    sim = similarity.detach().float().cpu().numpy()
    perm = np.empty(sim.shape[:2], dtype=np.int64)
    for b in range(sim.shape[0]):
        rows, cols = linear_sum_assignment(sim[b], maximize=True)
        perm[b, rows] = cols
    return torch.from_numpy(perm).to(similarity.device)


def part_info_nce(queries: torch.Tensor,
                  keys: torch.Tensor,
                  temperature: float = 0.07,
                  positives: Optional[torch.Tensor] = None,
                  negatives: str = 'parts') -> torch.Tensor:
    """InfoNCE over the parts of two views (C²L eq. 1).

    ``L_r = mean_b sum_i -log(exp(g_i.t_+/tau) / (exp(g_i.t_+/tau) + sum_{t_-} exp(g_i.t_-/tau)))``
    where ``t_+`` is the Hungarian-matched part of the *other* view of the same image and
    the negatives ``t_-`` are, with ``negatives='parts'`` (eq. 1), the other N - 1 parts
    of that view, or with ``negatives='batch'`` (hp_mm's option) all the other B*N - 1
    parts of the other views in the batch (SimCLR-style; this removes the trivial
    minimiser of eq. 1, N input-independent part embeddings). The sum over the parts i
    is eq. 1's; the mean over the images of the batch is hp_mm's reduction.

    Args:
        queries (Tensor): Part embeddings g of view 1, shape (B, N, D) (l2-normalise
            them first for cosine similarities).
        keys (Tensor): Part embeddings t of view 2, shape (B, N, D).
        temperature (float): tau. Defaults to 0.07 (Wu et al. 2018, the paper's [18]).
        positives (Tensor, optional): int64 (B, N) positive key of each query.
            Defaults to None: :func:`hungarian_part_matching` of the similarities.
        negatives (str): ``'parts'`` or ``'batch'``. Defaults to 'parts'.

    Returns:
        Tensor: Scalar loss.
    """
    if queries.shape != keys.shape or queries.dim() != 3:
        raise ValueError(f'queries and keys must both have shape (B, N, D), got '
                         f'{tuple(queries.shape)} and {tuple(keys.shape)}')
    if negatives not in ('parts', 'batch'):
        raise ValueError(f"negatives must be 'parts' or 'batch', got {negatives!r}")
    b, n, _ = queries.shape
    sim = torch.einsum('bnd,bmd->bnm', queries, keys)
    if positives is None:
        positives = hungarian_part_matching(sim)
    if negatives == 'parts':
        logits, target = sim.reshape(b * n, n), positives.reshape(-1)
    else:  # every part of every image's view 2 is a key
        logits = queries.reshape(b * n, -1) @ keys.reshape(b * n, -1).t()
        offset = torch.arange(b, device=positives.device)[:, None] * n
        target = (positives + offset).reshape(-1)
    nll = F.cross_entropy(logits / temperature, target, reduction='none')
    return nll.reshape(b, n).sum(1).mean()


@MODELS.register_module()
class PartContrastiveHead(BaseModule):
    """C_tau: N part embeddings per view and their Hungarian-matched InfoNCE loss.

    A 1x1 convolution reduces the channels to ``N * part_channels``, a grouped 3x3
    convolution (``groups=N``: each part has its own filters, "to decrease the
    computation") refines them, global average pooling and a reshape give the N part
    embeddings ``g = {g_0..g_{N-1}}``, l2-normalised (paper Sec. 3.2).

    Note:
        B: batch size. C: input channels. N: parts (= labels of the dataset).
        D: ``part_channels``. H, W: feature map size.

    Args:
        in_channels (int): C. Defaults to 128.
        num_parts (int): N. Defaults to 3 (ATR merged to 3 classes).
        part_channels (int): D. Defaults to 32.
        temperature (float): tau of eq. 1. Defaults to 0.07.
        negatives (str): ``'parts'`` (eq. 1: the other parts of the same image's other
            view) or ``'batch'`` (all parts of the batch's other views, see
            :func:`part_info_nce`). Defaults to 'parts'.
        loss_weight (float): alpha of eq. 8. Defaults to 0.5.
        loss_name (str): Name of the loss in the loss dict. Defaults to
            'loss_part_contrast'.
        norm_cfg (dict): Norm layer of the convolutions. Defaults to BN.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 128,
                 num_parts: int = 3,
                 part_channels: int = 32,
                 temperature: float = 0.07,
                 negatives: str = 'parts',
                 loss_weight: float = 0.5,
                 loss_name: str = 'loss_part_contrast',
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_parts < 2:
            raise ValueError(f'PartContrastiveHead needs num_parts >= 2 (negatives), '
                             f'got {num_parts}')
        self.num_parts = num_parts
        self.part_channels = part_channels
        self.temperature = temperature
        self.negatives = negatives
        self.loss_weight = loss_weight
        self.loss_name = loss_name
        mid = num_parts * part_channels
        self.reduce = ConvModule(in_channels, mid, 1, norm_cfg=norm_cfg)
        self.group_conv = ConvModule(mid, mid, 3, padding=1, groups=num_parts, norm_cfg=None,
                                     act_cfg=None)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Part embeddings of one view.

        Args:
            x (Tensor): Features, shape (B, C, H, W).

        Returns:
            Tensor: l2-normalised part embeddings, shape (B, N, D).
        """
        x = self.pool(self.group_conv(self.reduce(x))).flatten(1)
        return F.normalize(x.reshape(x.shape[0], self.num_parts, self.part_channels), dim=-1)

    def loss(self, feats1: torch.Tensor, feats2: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``alpha * L_r`` between the parts of view 1 (queries) and view 2 (keys).

        Args:
            feats1 (Tensor): Features of view 1 (after G), shape (B, C, H, W).
            feats2 (Tensor): Features of view 2, shape (B, C, H, W).

        Returns:
            dict[str, Tensor]: ``{loss_name: loss}``.
        """
        g, t = self(feats1), self(feats2)
        loss = part_info_nce(g, t, self.temperature, negatives=self.negatives)
        return {self.loss_name: self.loss_weight * loss}
