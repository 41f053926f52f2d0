"""ISP's global feature map ``M_g``: multi-branch fusion at the 1/4 map (eq. 1).

Checked against CASIA-IVA-Lab/ISP-reID ``modeling/backbones/cls_hrnet.py``
(``HighResolutionNet.forward``): on HRNet-W32's four branches (32, 64, 128, 256
channels at 1/4..1/32) one Bottleneck "increase" block each (to 128, 256, 512,
1024 channels, at the branch's own resolution), bilinear upsampling to the 1/4
map (``align_corners=True``), concatenation (1920 channels), a 1x1 conv + BN +
ReLU to 256 channels (the official conv's bias is dropped: BN follows it), and
the optional "simple spatial attention" (``SpatialAttn``: a stride-2 3x3 conv +
BN to one channel, ReLU, upsampling back, a 1x1 conv + BN, sigmoid;
``M_g = x * mask``).

Note:
    N: batch; C_i: channels of input branch i; C: ``out_channels``;
    h, w: the first input's size (1/4 of the image).
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule
from mmseg.models.backbones.resnet import Bottleneck
from torch import Tensor

from hp_mm.registry import MODELS


class SpatialAttention(nn.Module):
    """ISP's "simple spatial attention" (official ``SpatialAttn``)."""

    def __init__(self, channels: int, norm_cfg: dict) -> None:
        super().__init__()
        self.conv1 = ConvModule(channels, 1, 3, stride=2, padding=1, norm_cfg=norm_cfg,
                                act_cfg=dict(type='ReLU'))
        self.conv2 = ConvModule(1, 1, 1, norm_cfg=norm_cfg, act_cfg=None)

    def forward(self, x: Tensor) -> Tensor:
        a = F.interpolate(self.conv1(x), size=x.shape[2:], mode='bilinear', align_corners=True)
        return x * torch.sigmoid(self.conv2(a))


@MODELS.register_module()
class ISPNeck(BaseModule):
    """Fuse backbone maps into ``M_g`` (C channels at the first map's size).

    Args:
        in_channels (Sequence[int]): Channels of each input map.
        out_channels (int): C of ``M_g``. Defaults to 256 (official).
        incre_channels (Sequence[int], optional): Bottleneck ``planes`` of the
            per-branch "increase" blocks (outputs 4x that), or None for none.
            HRNet-W32: (32, 64, 128, 256) -> 128, 256, 512, 1024 channels.
        spatial_attention (bool): Apply the official spatial attention.
            Defaults to True.
        norm_cfg (dict): Norm layers. Defaults to BN.
        align_corners (bool): Of the upsampling. Defaults to True (official).
        init_cfg (dict, optional): Initialisation config.

    Shapes:
        ``forward(maps, with_concat)``: maps ``[(N, C_i, h_i, w_i)]`` ->
        ``(M_g (N, C, h, w), concat)``: the reduced map and, with
        ``with_concat``, the concatenation (N, sum C'_i, h, w) before the 1x1
        reduction (else None; the official "big" global feature pools it,
        ``MODEL.IF_BIGG``, used on CUHK03-NP).
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int = 256,
                 incre_channels: Optional[Sequence[int]] = None,
                 spatial_attention: bool = True, norm_cfg: dict = dict(type='BN'),
                 align_corners: bool = True, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = list(in_channels)
        self.align_corners = align_corners
        if incre_channels is not None:
            if len(incre_channels) != len(self.in_channels):
                raise ValueError(f'ISPNeck: {len(incre_channels)} incre_channels for '
                                 f'{len(self.in_channels)} inputs')
            self.incre = nn.ModuleList()
            for c_in, planes in zip(self.in_channels, incre_channels):
                c_out = planes * Bottleneck.expansion
                down = nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False),
                                     build_norm_layer(norm_cfg, c_out)[1])
                self.incre.append(Bottleneck(c_in, planes, downsample=down, norm_cfg=norm_cfg))
            cat_channels = [p * Bottleneck.expansion for p in incre_channels]
        else:
            self.incre = None
            cat_channels = self.in_channels
        self.concat_channels = sum(cat_channels)
        self.out_channels = out_channels
        self.reduce = ConvModule(self.concat_channels, out_channels, 1,
                                 norm_cfg=norm_cfg, act_cfg=dict(type='ReLU'))
        self.attention = SpatialAttention(out_channels, norm_cfg) if spatial_attention else None

    def forward(self, inputs: Sequence[Tensor],
                with_concat: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        if len(inputs) != len(self.in_channels):
            raise ValueError(f'ISPNeck: expected {len(self.in_channels)} maps, got {len(inputs)}')
        xs = list(inputs)
        if self.incre is not None:
            xs = [m(x) for m, x in zip(self.incre, xs)]
        size = xs[0].shape[2:]
        # conv1x1(concat(upsample(x_i))) == sum_i upsample(conv1x1_i(x_i)) exactly (both are
        # linear per position and bilinear weights sum to 1): reduce each branch at its own
        # resolution, then upsample the C-channel results (4-16x cheaper on the small maps).
        weight = self.reduce.conv.weight
        feat, start = 0, 0
        for x in xs:
            y = F.conv2d(x, weight[:, start:start + x.shape[1]])
            start += x.shape[1]
            feat = feat + self._resize(y, size)
        if self.reduce.conv.bias is not None:
            feat = feat + self.reduce.conv.bias.view(1, -1, 1, 1)
        feat = self.reduce.activate(self.reduce.norm(feat))
        if self.attention is not None:
            feat = self.attention(feat)
        return feat, (self.concat(xs, size) if with_concat else None)

    def _resize(self, x: Tensor, size) -> Tensor:
        if x.shape[2:] == size:
            return x
        return F.interpolate(x, size=size, mode='bilinear', align_corners=self.align_corners)

    def concat(self, xs: Sequence[Tensor], size) -> Tensor:
        """The concatenation of the upsampled branch maps (N, sum C'_i, h, w)."""
        return torch.cat([self._resize(x, size) for x in xs], 1)

