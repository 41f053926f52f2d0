"""ResNet with its stage outputs bilinearly upsampled to the 1/4 map (ISP's ResNet variant).

Zhu et al. (ISP), Sec. 4.5 / Table 6: "A bilinear upsample layer is added to
scale up the final feature maps of ResNet50 ... to the same size of
HRNet-W32", i.e. to 1/4 of the input (64x32 for 256x128). The last stage runs
at stride 1 (the re-ID convention of Luo et al.'s strong baseline), so before
the upsampling the last map is at 1/16.
"""
from typing import Sequence, Tuple

import torch.nn.functional as F
from mmseg.models.backbones import ResNet
from torch import Tensor

from hp_mm.registry import MODELS


@MODELS.register_module()
class UpsampleResNet(ResNet):
    """mmseg ``ResNet`` whose outputs are all resized to the first stage's map.

    Args:
        strides (Sequence[int]): Stride of each stage. Defaults to
            (1, 2, 2, 1): last stage at stride 1.
        out_indices (Sequence[int]): Stages to output. Defaults to (3,), the
            final map only, as the paper's variant.
        align_corners (bool): ``F.interpolate``'s ``align_corners``. Defaults to
            True (as ISP's upsampling of the HRNet branches).
        **kwargs: mmseg ``ResNet`` arguments (``depth``, ``norm_cfg``,
            ``init_cfg``...).

    Shapes:
        x (N, 3, H, W) -> tuple of (N, C_i, ceil(H/4), ceil(W/4)) maps, one per
        ``out_indices`` entry (C_i = 256 * 2^i for ResNet-50).
    """

    def __init__(self, strides: Sequence[int] = (1, 2, 2, 1),
                 out_indices: Sequence[int] = (3, ), align_corners: bool = True,
                 **kwargs) -> None:
        super().__init__(strides=strides, out_indices=tuple(range(len(strides))), **kwargs)
        self.keep = tuple(out_indices)
        if not self.keep or max(self.keep) >= len(strides):
            raise ValueError(f'UpsampleResNet: out_indices {out_indices} must name stages '
                             f'0..{len(strides) - 1}')
        self.align_corners = align_corners

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        outs = super().forward(x)  # every stage; outs[0] is the 1/4 map
        size = outs[0].shape[2:]
        return tuple(outs[i] if outs[i].shape[2:] == size else F.interpolate(
            outs[i], size=size, mode='bilinear', align_corners=self.align_corners)
            for i in self.keep)
