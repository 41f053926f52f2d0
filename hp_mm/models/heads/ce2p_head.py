"""CE2P's parsing head (the head of SCHP's ``AugmentCE2P`` ResNet-101).

Ruan et al., "Devil in the Details: Towards Accurate Single and Multiple Human
Parsing" (CE2P, AAAI 2019), Fig. 2; Li et al., "Self-Correction for Human
Parsing" (SCHP, TPAMI 2020), whose published LIP / ATR / PASCAL-Person-Part
checkpoints this head loads (``tools/model_converters/schp2hpmm.py``). Layer
facts were read from GoGoDuck912/Self-Correction-Human-Parsing
``networks/AugmentCE2P.py`` (``PSPModule``, ``Edge_Module``,
``Decoder_Module``, ``ResNet.fushion``).

Note:
    N: batch size. C: parsing classes, background included. E: edge classes (2).
    h1, w1: size of the 1/4 feature (ResNet layer 1); all outputs are at 1/4.
    K: ``channels`` (256). P: ``psp_channels`` (512). S: ``skip_channels`` (48).
    D: ``edge_channels`` (256).
"""
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.decode_heads.psp_head import PPM
from mmseg.models.utils import resize
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from hp_mm.registry import MODELS


@MODELS.register_module()
class CE2PHead(BaseDecodeHead):
    """Context embedding (PSP), high-resolution decoder, edge branch, fusion.

    Inputs are ResNet layers 1-4 ``x1..x4`` (channels ``in_channels``, e.g.
    256, 512, 1024, 2048; strides 4, 8, 16, 16 for SCHP's dilated ResNet-101).
    Every conv is a :class:`ConvModule` (conv without bias, norm, activation:
    SCHP's ``InPlaceABNSync`` is a BN followed by LeakyReLU(0.01)) unless
    noted::

        psp  = bottleneck3x3(cat([up(ppm_s(x4)) for s in pool_scales] + [x4]))   (N, P, h4, w4)
               # pooled maps first, then x4: the reverse of mmseg's PSPHead
        top  = up(decoder_top(psp), (h1, w1))                                    (N, K, h1, w1)
        f_p  = decoder_fuse(cat([top, decoder_skip(x1)]))   # two 1x1 convs      (N, K, h1, w1)
        y_p  = decoder_seg(f_p)              # parsing branch, plain 1x1 conv     (N, C, h1, w1)
        e_k  = edge_convs[k](x_{k+1}), k = 0, 1, 2                                (N, D, h_k, w_k)
        y_e  = edge_fuse(cat([up(edge_seg(e_k)) for k]))  # shared 3x3, then 1x1 (N, E, h1, w1)
        f_e  = cat([e_0, up(e_1), up(e_2)])                                       (N, 3D, h1, w1)
        y    = conv_seg(dropout(fusion(cat([f_p, f_e]))))   # fusion branch       (N, C, h1, w1)

    ``up`` is bilinear resizing with ``align_corners`` (True in SCHP, also for
    the final upsampling to the input size). :meth:`forward` returns the
    fusion branch ``y``, the output SCHP's extractor and evaluation use.

    Training (:meth:`loss`): ``loss_decode`` on ``y`` and, weighted by
    ``parsing_branch_weight``, on ``y_p`` (keys prefixed ``aux_``), as CE2P
    supervises both; when the samples carry ``gt_edge_map`` (mmseg's
    ``GenerateEdge``), a class-balanced cross-entropy on ``y_e`` (SCHP
    ``utils/criterion.py``: edge pixels weighted by the fraction of non-edge
    pixels and vice versa), ``loss_edge``. SCHP's self-correction (soft
    labels from a moving-average model) and its consistency loss are not
    part of this head.

    Args:
        pool_scales (tuple[int]): PSP pooling sizes. Defaults to (1, 2, 3, 6).
        psp_channels (int): P. Defaults to 512.
        skip_channels (int): S, width of the 1/4 skip. Defaults to 48.
        edge_channels (int): D. Defaults to 256.
        num_edge_classes (int): E. Defaults to 2.
        parsing_branch_weight (float): Weight of the parsing-branch losses.
            Defaults to 1.0.
        loss_edge_weight (float): Weight of ``loss_edge``. Defaults to 1.0.
        **kwargs: :class:`BaseDecodeHead` arguments: ``in_channels`` (4
            ints), ``channels`` (K), ``num_classes``, ``norm_cfg``,
            ``act_cfg``, ``dropout_ratio`` (SCHP: 0.1), ``align_corners``...
            ``input_transform`` defaults to ``'multiple_select'`` and
            ``in_index`` to (0, 1, 2, 3).
    """

    def __init__(self,
                 pool_scales: Tuple[int, ...] = (1, 2, 3, 6),
                 psp_channels: int = 512,
                 skip_channels: int = 48,
                 edge_channels: int = 256,
                 num_edge_classes: int = 2,
                 parsing_branch_weight: float = 1.0,
                 loss_edge_weight: float = 1.0,
                 **kwargs) -> None:
        kwargs.setdefault('input_transform', 'multiple_select')
        kwargs.setdefault('in_index', (0, 1, 2, 3))
        super().__init__(**kwargs)
        if len(self.in_channels) != 4:
            raise ValueError(f'CE2PHead takes 4 inputs (ResNet layers 1-4), got in_channels='
                             f'{self.in_channels}')
        self.parsing_branch_weight = float(parsing_branch_weight)
        self.loss_edge_weight = float(loss_edge_weight)
        c1, c2, c3, c4 = self.in_channels
        cfg = dict(conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        k = self.channels
        self.psp_modules = PPM(pool_scales, c4, psp_channels, align_corners=self.align_corners,
                               **cfg)
        self.psp_bottleneck = ConvModule(c4 + len(pool_scales) * psp_channels, psp_channels, 3,
                                         padding=1, **cfg)
        self.decoder_top = ConvModule(psp_channels, k, 1, **cfg)
        self.decoder_skip = ConvModule(c1, skip_channels, 1, **cfg)
        self.decoder_fuse = nn.Sequential(
            ConvModule(k + skip_channels, k, 1, **cfg), ConvModule(k, k, 1, **cfg))
        self.decoder_seg = nn.Conv2d(k, self.out_channels, 1)
        self.edge_convs = nn.ModuleList(
            ConvModule(c, edge_channels, 1, **cfg) for c in (c1, c2, c3))
        self.edge_seg = nn.Conv2d(edge_channels, num_edge_classes, 3, padding=1)
        self.edge_fuse = nn.Conv2d(3 * num_edge_classes, num_edge_classes, 1)
        self.fusion = ConvModule(k + 3 * edge_channels, k, 1, **cfg)

    def _up(self, x: Tensor, size) -> Tensor:
        if tuple(x.shape[2:]) == tuple(size):
            return x
        return resize(x, size=size, mode='bilinear', align_corners=self.align_corners,
                      warning=False)

    def forward_branches(self, inputs: List[Tensor],
                         with_aux: bool = True) -> Tuple[Tensor, Tensor, Tensor]:
        """All three branches.

        Args:
            inputs (list[Tensor]): Backbone outputs; the selected four are
                ``x1..x4`` (N, c_k, h_k, w_k).
            with_aux (bool): Also compute the parsing- and edge-branch
                logits (not needed for the fusion output).

        Returns:
            tuple: fusion logits (N, C, h1, w1), parsing-branch logits
            (N, C, h1, w1) and edge logits (N, E, h1, w1); the last two are
            None without ``with_aux``.
        """
        x1, x2, x3, x4 = self._transform_inputs(inputs)
        size = x1.shape[2:]
        psp = self.psp_bottleneck(torch.cat(self.psp_modules(x4) + [x4], dim=1))
        top = self._up(self.decoder_top(psp), size)
        parsing_feat = self.decoder_fuse(torch.cat([top, self.decoder_skip(x1)], dim=1))
        edge_feats = [conv(x) for conv, x in zip(self.edge_convs, (x1, x2, x3))]
        fused = self.fusion(
            torch.cat([parsing_feat] + [self._up(f, size) for f in edge_feats], dim=1))
        seg_logits = self.cls_seg(fused)
        if not with_aux:
            return seg_logits, None, None
        parsing_logits = self.decoder_seg(parsing_feat)
        edge_logits = self.edge_fuse(
            torch.cat([self._up(self.edge_seg(f), size) for f in edge_feats], dim=1))
        return seg_logits, parsing_logits, edge_logits

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Fusion-branch logits (N, C, h1, w1): the mmseg decode-head contract."""
        return self.forward_branches(inputs, with_aux=False)[0]

    def loss(self, inputs: List[Tensor], batch_data_samples: SampleList,
             train_cfg: ConfigType) -> dict:
        """``loss_decode`` on the fusion and parsing branches (+ ``loss_edge``).

        Args:
            inputs (list[Tensor]): Backbone outputs.
            batch_data_samples (list[SegDataSample]): With ``gt_sem_seg``
                (1, H, W) and, optionally, ``gt_edge_map`` (1, H, W) in {0, 1}
                (255 ignored).
            train_cfg (dict): Unused (mmseg signature).

        Returns:
            dict[str, Tensor]: The ``loss_decode`` names and ``acc_seg`` (fusion
            branch), the same prefixed ``aux_`` (parsing branch, without its
            accuracy), and ``loss_edge`` when edge labels are present.
        """
        seg_logits, parsing_logits, edge_logits = self.forward_branches(inputs)
        losses = self.loss_by_feat(seg_logits, batch_data_samples)
        if self.parsing_branch_weight > 0:
            aux = self.loss_by_feat(parsing_logits, batch_data_samples)
            for name, value in aux.items():
                if name != 'acc_seg':
                    losses[f'aux_{name}'] = value * self.parsing_branch_weight
        if batch_data_samples and all('gt_edge_map' in s for s in batch_data_samples):
            edge_label = torch.stack([s.gt_edge_map.data for s in batch_data_samples]).squeeze(1)
            losses['loss_edge'] = self.loss_edge_weight * balanced_edge_loss(
                resize(edge_logits, size=edge_label.shape[1:], mode='bilinear',
                       align_corners=self.align_corners, warning=False),
                edge_label.long(), self.ignore_index)
        return losses


def balanced_edge_loss(edge_logits: Tensor, edge_label: Tensor, ignore_index: int = 255) -> Tensor:
    """CE2P / SCHP class-balanced edge cross-entropy.

    ``w_edge = n_0 / (n_0 + n_1)``, ``w_non-edge = n_1 / (n_0 + n_1)`` with
    ``n_1`` / ``n_0`` the edge / non-edge pixels of the batch, then
    ``F.cross_entropy(weight=[w_non-edge, w_edge])`` (weighted mean over the
    non-ignored pixels); SCHP ``utils/criterion.py`` ``parsing_loss``.

    Args:
        edge_logits (Tensor): Shape (N, 2, H, W).
        edge_label (Tensor): Shape (N, H, W), int64 in {0, 1} or
            ``ignore_index``.
        ignore_index (int): Label left out.

    Returns:
        Tensor: Scalar loss; 0 (with a gradient path) when the batch has no
        edge or no non-edge pixel (SCHP's formula is then 0 / 0).
    """
    n_edge = (edge_label == 1).sum().to(edge_logits.dtype)
    n_bg = (edge_label == 0).sum().to(edge_logits.dtype)
    total = n_edge + n_bg
    weight = torch.stack([n_edge, n_bg]) / total.clamp(min=1)
    # the weighted mean's denominator; 0 when a class is absent (SCHP: NaN)
    denom = n_bg * weight[0] + n_edge * weight[1]
    if denom <= 0:
        return edge_logits.sum() * 0.0
    return F.cross_entropy(edge_logits, edge_label, weight=weight, ignore_index=ignore_index,
                           reduction='sum') / denom
