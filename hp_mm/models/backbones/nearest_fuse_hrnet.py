"""HRNet whose fuse layers upsample with nearest neighbours (QANet's HRNet).

mmseg's :class:`~mmseg.models.backbones.HRNet` upsamples the lower-resolution
branches in its fuse layers bilinearly. The HRNet of soeaver/QANet
(``lib/backbone/hrnet.py`` ``StageModule``, snapshot ``61615c4``), whose
checkpoints hp_mm converts (``tools/model_converters/qanet2hpmm.py``), uses
``nn.Upsample(scale_factor=2 ** (j - i), mode='nearest')`` there, as the
original pose HRNet does. Everything else (stem, stage-1 bottlenecks,
transitions, branches, the 3x3 stride-2 downsampling fuse convs, all four
outputs) and every parameter name is the same as mmseg's, so this class only
switches the fuse upsampling mode.
"""
from mmseg.models.backbones import HRNet
from mmseg.models.utils import Upsample

from hp_mm.registry import MODELS


@MODELS.register_module()
class NearestFuseHRNet(HRNet):
    """mmseg's HRNet with ``upsample_mode`` upsampling in the fuse layers.

    In a fuse layer the branch ``j`` (stride ``s_j``) feeding output ``i``
    (``s_i < s_j``) is ``conv1x1 -> norm -> upsample x 2 ** (j - i)``; here the
    upsampling is ``upsample_mode`` (nearest by default, QANet). mmseg's
    ``HRModule.forward`` then resizes to the exact branch size bilinearly,
    which is the identity when the input size is a multiple of 32 (QANet's
    512x384 crops; for other sizes QANet's own model fails to add the
    branches).

    Args:
        upsample_mode (str): ``'nearest'`` (QANet) or ``'bilinear'`` (mmseg's
            HRNet). Defaults to ``'nearest'``.
        **kwargs: :class:`mmseg.models.backbones.HRNet` arguments
            (``extra``, ``norm_cfg``, ...).

    Outputs:
        list[Tensor]: The 4 branches, shapes (N, C_k, H / 4 / 2 ** k,
        W / 4 / 2 ** k) for k = 0..3 (C_k = 48, 96, 192, 384 for W48).
    """

    def __init__(self, upsample_mode: str = 'nearest', **kwargs) -> None:
        if upsample_mode not in ('nearest', 'bilinear'):
            raise ValueError(
                f"upsample_mode must be 'nearest' or 'bilinear', got {upsample_mode!r}")
        super().__init__(**kwargs)
        self.upsample_mode = upsample_mode
        for module in self.modules():
            if isinstance(module, Upsample):  # only the fuse layers have upsampling
                module.mode = upsample_mode
                module.align_corners = None if upsample_mode == 'nearest' else False
