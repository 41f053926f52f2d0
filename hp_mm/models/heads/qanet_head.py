"""QANet's parsing head: semantic FPN, a parsing branch and an IoU branch.

Yang et al., "Quality-Aware Network for Human Parsing" (QANet), Sec. 3.4 and
Fig. 3. Layer and loss facts were read from soeaver/QANet (snapshot
``61615c4``); the places are cited next to the code that follows them, as
paths under ``qanet/modeling/`` unless they start with ``lib/`` or ``cfgs/``.

Note:
    N: number of person crops in the batch.
    C: number of parsing classes, background (0) included.
    H, W: crop height and width (the label size).
    h, w: height and width of the 1/4 feature (``H / 4``, ``W / 4``).
    K: channels of the fused 1/4 feature (``channels``).
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads import FPNHead
from mmseg.models.utils import resize
from mmseg.utils import ConfigType, OptConfigType, SampleList
from torch import Tensor

from hp_mm.registry import MODELS
from hp_mm.structures import paired_parsing_miou


def parsing_iou_loss(pred: Tensor, target: Tensor) -> Tensor:
    """QANet's IoU-branch regression loss (an MSE over the persons with IoU > 0).

    ``loss = sum_{n: t_n > 0} 0.5 * (p_n - t_n) ** 2 / #{n: t_n > 0}``, 0 (with
    a gradient path) when no target is positive: QANet ``lib/ops/l2_loss.py``
    l.4-11, called by ``qanet/modeling/parsing_head/parsingiou/loss.py`` l.11-13
    on the detached targets.

    Args:
        pred (Tensor): Predicted IoU, shape (N,).
        target (Tensor): IoU target, shape (N,); detached here.

    Returns:
        Tensor: Scalar loss.
    """
    target = target.detach().to(pred.dtype)
    pos = target > 0
    if not pos.any():
        return pred.sum() * 0.0
    return 0.5 * ((pred[pos] - target[pos])**2).sum() / pos.sum()


@MODELS.register_module()
class QANetHead(FPNHead):
    """Semantic-FPN parsing head with QANet's IoU branch.

    The fusion of P2-P5 to 1/4 and the parsing classifier are mmseg's
    :class:`FPNHead` (Semantic FPN, Kirillov et al. 2019): level ``i`` goes
    through ``max(1, log2(stride_i / 4))`` [3x3 conv, norm, ReLU (, x2
    bilinear up)] blocks and the four maps are summed, exactly QANet's
    ``PFPN`` (``qanet/modeling/fpn/PFPN.py`` l.27-54,
    ``panoptic_upsampler_block`` l.57-82: conv3x3+BN+ReLU, up x2). The
    parsing branch is a 1x1 conv to C classes (``parsing_head/outputs.py``
    l.14), upsampled bilinearly to the crop size (l.22-24; mmseg resizes the
    logits to the label size in ``loss_by_feat``). QANet uses no dropout.

    IoU branch (``parsing_head/parsingiou/heads.py`` l.25-36 and l.57-62,
    ``outputs.py`` l.14, ``cfgs/CIHP/QANet/QANet_R-50c_512x384_1x.yaml``
    ``PARSINGIOU: NUM_CONVS 2, CONV_DIM 512``, no norm by default), fed with
    the same fused 1/4 feature as the classifier (``parsing_head/parsing.py``
l.39-46)::

        f (N, K, h, w) -> conv1x1(K->K)+ReLU -> global avg pool
          -> [conv1x1(->iou_channels)+ReLU] x iou_num_convs -> Linear(->1) -> S_i (N,)

    Losses (paper Eq. 2, ``L = L_c + L_z + L_m``): ``loss_decode`` holds
    mmseg's ``CrossEntropyLoss`` and ``LovaszLoss`` (``parsing_head/loss.py``
    l.47-53: mean CE + Lovasz-softmax over the classes present, per image,
    both weight 1); ``loss_iou`` is :func:`parsing_iou_loss` between the IoU
    branch and the mIoU (:func:`~hp_mm.structures.paired_parsing_miou`) of the branch's own argmax
    prediction with the GT, computed on the fly without gradient
    (``parsing_head/loss.py`` l.32-42). Gradients of ``loss_iou`` reach the
    IoU branch and the shared fused feature (QANet does not detach it), not
    the classifier.

    Args:
        feature_strides (Sequence[int]): Strides of the input levels,
            smallest first. Defaults to (4, 8, 16, 32).
        iou_num_convs (int): 1x1 convs after pooling. Defaults to 2.
        iou_channels (int): Their width. Defaults to 512.
        iou_norm_cfg (dict, optional): Norm of the IoU branch's convs.
            Defaults to None (QANet ``PARSING.PARSINGIOU.NORM = ""``).
        loss_iou_weight (float): Weight of ``loss_iou``. Defaults to 1.0
            (QANet ``PARSING.PARSINGIOU.LOSS_WEIGHT``).
        **kwargs: :class:`mmseg.models.decode_heads.BaseDecodeHead` arguments
            (``in_channels``, ``channels``, ``num_classes``, ``loss_decode``...).
    """

    def __init__(self,
                 feature_strides: Sequence[int] = (4, 8, 16, 32),
                 iou_num_convs: int = 2,
                 iou_channels: int = 512,
                 iou_norm_cfg: OptConfigType = None,
                 loss_iou_weight: float = 1.0,
                 **kwargs) -> None:
        super().__init__(feature_strides=list(feature_strides), **kwargs)
        self.loss_iou_weight = float(loss_iou_weight)
        act_cfg = dict(type='ReLU')
        self.iou_conv1x1 = ConvModule(self.channels, self.channels, 1, norm_cfg=iou_norm_cfg,
                                      act_cfg=act_cfg)
        convs = []
        for i in range(iou_num_convs):
            convs.append(ConvModule(self.channels if i == 0 else iou_channels, iou_channels, 1,
                                    norm_cfg=iou_norm_cfg, act_cfg=act_cfg))
        self.iou_convs = nn.Sequential(*convs)
        iou_in = iou_channels if iou_num_convs > 0 else self.channels
        self.iou_fc = nn.Linear(iou_in, 1)
        # parsingiou/outputs.py l.28-30
        nn.init.kaiming_uniform_(self.iou_fc.weight, a=1)
        nn.init.constant_(self.iou_fc.bias, 0)

    # ------------------------------------------------------------------ forward
    def fuse_features(self, inputs: List[Tensor]) -> Tensor:
        """Semantic-FPN fusion (FPNHead.forward without the classifier).

        Args:
            inputs (list[Tensor]): Neck outputs; level ``i`` has shape
                (N, in_channels[i], H / stride_i, W / stride_i).

        Returns:
            Tensor: Fused feature, shape (N, K, h, w).
        """
        x = self._transform_inputs(inputs)
        output = self.scale_heads[0](x[0])
        for i in range(1, len(self.feature_strides)):
            output = output + resize(self.scale_heads[i](x[i]), size=output.shape[2:],
                                     mode='bilinear', align_corners=self.align_corners)
        return output

    def iou_branch(self, feature: Tensor) -> Tensor:
        """IoU score regressed from the fused feature.

        Args:
            feature (Tensor): Shape (N, K, h, w).

        Returns:
            Tensor: Raw IoU prediction, shape (N,) (unbounded, as QANet).
        """
        x = self.iou_conv1x1(feature)
        x = self.iou_convs(x.mean(dim=(2, 3), keepdim=True))
        return self.iou_fc(x.flatten(1)).squeeze(1)

    def forward_with_iou(self, inputs: List[Tensor]) -> Tuple[Tensor, Tensor]:
        """Parsing logits and IoU scores in one pass.

        Returns:
            tuple[Tensor, Tensor]: logits (N, C, h, w) and IoU (N,).
        """
        feature = self.fuse_features(inputs)
        return self.cls_seg(feature), self.iou_branch(feature)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Parsing logits only (N, C, h, w): the mmseg decode-head contract."""
        return self.cls_seg(self.fuse_features(inputs))

    # --------------------------------------------------------------------- loss
    def loss(self, inputs: List[Tensor], batch_data_samples: SampleList,
             train_cfg: ConfigType) -> dict:
        """CE + Lovasz (``loss_decode``), ``acc_seg`` and ``loss_iou``.

        Args:
            inputs (list[Tensor]): Neck outputs.
            batch_data_samples (list[SegDataSample]): With ``gt_sem_seg``
                (1, H, W).
            train_cfg (dict): Unused (mmseg signature).

        Returns:
            dict[str, Tensor]: ``loss_ce``, ``loss_lovasz`` (the
            ``loss_name`` of each ``loss_decode``), ``acc_seg``, ``loss_iou``.
        """
        seg_logits, iou_pred = self.forward_with_iou(inputs)
        losses = self.loss_by_feat(seg_logits, batch_data_samples)
        target = self.iou_targets(seg_logits, batch_data_samples)
        losses['loss_iou'] = self.loss_iou_weight * parsing_iou_loss(iou_pred, target)
        return losses

    @torch.no_grad()
    def iou_targets(self, seg_logits: Tensor, batch_data_samples: SampleList) -> Tensor:
        """mIoU of the argmax of the (label-size) logits with the GT.

        Args:
            seg_logits (Tensor): Shape (N, C, h, w).
            batch_data_samples (list[SegDataSample]): With ``gt_sem_seg``.

        Returns:
            Tensor: Shape (N,), no gradient.
        """
        seg_label = self._stack_batch_gt(batch_data_samples).squeeze(1)  # (N, H, W)
        logits = resize(seg_logits.detach(), size=seg_label.shape[1:], mode='bilinear',
                        align_corners=self.align_corners)
        return paired_parsing_miou(logits.argmax(1), seg_label, self.num_classes,
                                   self.ignore_index)
