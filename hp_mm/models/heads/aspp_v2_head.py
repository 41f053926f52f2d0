"""DeepLabV2-style ASPP decode head (the parser family compared in LIP paper Table 2-5)."""
from typing import List

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor

from hp_mm.registry import MODELS


@MODELS.register_module()
class ASPPV2Head(BaseDecodeHead):
    """Atrous spatial pyramid pooling as in DeepLab v2 (Chen et al., TPAMI 2017).

    Parallel branches, each a dilated 3x3 conv ("fc6") and a 1x1 conv ("fc7")
    on the backbone's last feature map, fused by summation (v2 sums the branch
    outputs; v3's ASPP, mmseg's ``ASPPHead``, concatenates them and adds image
    pooling and BN). The sum then goes through the shared 1x1 classifier
    ``conv_seg``, which equals v2's per-branch classifiers with tied weights.

    Note:
        N: batch, C_in: ``in_channels``, C: ``num_classes``.

    Args:
        dilations (tuple[int]): Dilation of each branch. Defaults to
            (6, 12, 18, 24), DeepLab v2's ASPP-L.
        **kwargs: :class:`BaseDecodeHead` arguments (``in_channels``,
            ``channels``, ``num_classes``, ``dropout_ratio``, ``loss_decode``...).

    Shapes:
        inputs[in_index]: (N, C_in, H, W) -> logits (N, C, H, W).
    """

    def __init__(self, dilations=(6, 12, 18, 24), **kwargs) -> None:
        super().__init__(**kwargs)
        self.branches = nn.ModuleList(
            nn.Sequential(
                ConvModule(self.in_channels, self.channels, 3, padding=d, dilation=d,
                           conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg),
                ConvModule(self.channels, self.channels, 1, conv_cfg=self.conv_cfg,
                           norm_cfg=self.norm_cfg, act_cfg=self.act_cfg))
            for d in dilations)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        x = self._transform_inputs(inputs)
        feats = sum(branch(x) for branch in self.branches)
        return self.cls_seg(feats)
