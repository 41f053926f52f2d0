"""Self-supervised structure-sensitive loss (LIP, Gong et al., CVPR 2017,
Sec. 4).

.. math::

    L_{structure} = L_{joint} \\cdot L_{parsing}    \\quad (Eq. 2)

``L_parsing`` is the pixel-wise softmax cross-entropy and ``L_joint`` (Eq. 1,
:func:`hp_mm.models.utils.joint_loss_from_labels`) compares the joints (centres
of merged part regions, rendered as Gaussian heatmaps) of the predicted
parsing with those of the ground truth.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from hp_mm.registry import MODELS
from ..utils.joint_heatmaps import (JointGroups, channel_argmax,
                                    joint_loss_from_labels,
                                    resolve_joint_groups)


def structure_sensitive_loss(seg_logits: Tensor,
                             seg_label: Tensor,
                             image_weight: Tensor,
                             weight: Optional[Tensor] = None,
                             ignore_index: int = 255) -> Tensor:
    """Per-image cross-entropy weighted by a fixed per-image weight.

    .. math::

        L = \\frac{1}{N} \\sum_{n=1}^{N} w_n \\cdot
        \\frac{1}{|V_n|} \\sum_{p \\in V_n} \\omega_p \\, CE_p

    with :math:`V_n` the non-ignored pixels of image ``n`` and
    :math:`\\omega_p` the optional pixel weight. This is the differentiable
    part of the structure-sensitive loss: ``image_weight`` (the joint loss)
    carries no gradient.

    Args:
        seg_logits (Tensor): Logits of shape (N, C, H, W).
        seg_label (Tensor): Labels of shape (N, H, W).
        image_weight (Tensor): Per-image weight :math:`w_n` of shape (N, ),
            detached.
        weight (Tensor, optional): Pixel weight of shape (N, H, W) (mmseg's
            ``seg_weight`` from a pixel sampler). Defaults to None.
        ignore_index (int): Label ignored by the loss. Defaults to 255.

    Returns:
        Tensor: The scalar loss.
    """
    ce = F.cross_entropy(
        seg_logits, seg_label, reduction='none', ignore_index=ignore_index)
    if weight is not None:
        ce = ce * weight
    num_valid = (seg_label != ignore_index).flatten(1).sum(-1).clamp(min=1)
    ce_per_image = ce.flatten(1).sum(-1) / num_valid
    return (image_weight.detach().to(ce.dtype) * ce_per_image).mean()


@MODELS.register_module()
class StructureSensitiveLoss(nn.Module):
    """Self-supervised structure-sensitive loss, as an mmseg ``loss_decode``.

    .. math::

        L_{structure} = (\\alpha + L_{joint}) \\cdot L_{parsing}

    per image (paper Eq. 2 for :math:`\\alpha` = ``joint_weight_offset`` = 0),
    averaged over the batch.

    - ``L_parsing`` of image ``n`` is its softmax cross-entropy averaged over
      its non-ignored pixels (the paper's "pixel-wise softmax loss").
    - ``L_joint`` of image ``n`` (Eq. 1) is computed from the argmax
      prediction map vs the ground truth, with no gradient: the argmax is not
      differentiable and the paper uses the joint loss as a **weight** of the
      segmentation loss. The official Caffe code does the same
      (``HeatmapError`` with ``propagate_down: false`` feeding
      ``SoftmaxWithLoss`` as a weight; its released GPU backward, though,
      does not scale the gradient by that weight, hp_mm follows the paper and
      does). Ground-truth ``ignore_index`` pixels
      count for neither map (the prediction there is arbitrary, e.g. on
      padding). See :func:`hp_mm.models.utils.joint_loss_from_labels` for the
      normalisation: ``L_joint`` lies in [0, 1].
    - The weight is **per image**: a batch-level ``L_joint`` would let one
      image with a broken structure reweight the parsing loss of all its
      neighbours (the official code trained with one image per batch, where
      the two coincide).

    ``joint_weight_offset`` (:math:`\\alpha`): with the literal product
    (:math:`\\alpha = 0`) an image whose joints already match contributes no
    parsing gradient at all, even if its pixels are wrong; :math:`\\alpha = 1`
    keeps the plain cross-entropy and adds the structure term on top
    (:math:`L_{parsing} + L_{joint} L_{parsing}`), i.e. it up-weights images
    with a wrong structure by up to 2x. The paper only fine-tunes a
    cross-entropy model with Eq. 2, so 0 (the default) reproduces it; use 1 to
    train from scratch or to keep the cross-entropy scale.

    The joint groups come either from the arguments (``joint_groups`` and
    ``classes``) or from the dataset's metainfo through
    :meth:`set_dataset_meta` (called by
    :class:`hp_mm.engine.hooks.DatasetMetaHook` before training).

    Note:
        - N: batch size; C: number of classes; H, W: label-map size
        - J: number of joints

    Args:
        joint_groups (Sequence[tuple[str, Sequence[str]]], optional):
            ``(joint_name, (class_name, ...))`` pairs, e.g.
            ``LIPDataset.METAINFO['joint_groups']``. Defaults to None
            (taken from ``metainfo['joint_groups']``).
        classes (Sequence[str], optional): The class names the groups refer
            to. Defaults to None (taken from ``metainfo['classes']``).
        sigma (float): Standard deviation of the joint Gaussians, in pixels of
            the label map the head's loss sees (mmseg resizes the logits to
            the label size). Defaults to 48, the official setting (6 pixels
            at 1/8 of a 321 x 321 crop); scale it with the crop size.
        heatmap_stride (int): Heatmaps are sampled every ``heatmap_stride``
            label pixels (centres are always computed at full resolution).
            Must be <= ``sigma``. Defaults to 8, as the official code.
        joint_weight_offset (float): :math:`\\alpha` above. Defaults to 0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss item; must start with ``loss_`` to
            be back-propagated. Defaults to 'loss_ssl'.
        ignore_index (int): Ignored label when ``forward`` is not given one.
            Defaults to 255.
    """

    def __init__(self,
                 joint_groups: Optional[JointGroups] = None,
                 classes: Optional[Sequence[str]] = None,
                 sigma: float = 48.0,
                 heatmap_stride: int = 8,
                 joint_weight_offset: float = 0.0,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_ssl',
                 ignore_index: int = 255) -> None:
        super().__init__()
        if sigma <= 0:
            raise ValueError(f'sigma must be > 0, got {sigma}.')
        if not (isinstance(heatmap_stride, int) and heatmap_stride >= 1):
            raise ValueError(
                f'heatmap_stride must be an int >= 1, got {heatmap_stride}.')
        if heatmap_stride > sigma:
            raise ValueError(
                f'heatmap_stride ({heatmap_stride}) must not exceed sigma '
                f'({sigma}): a Gaussian narrower than one heatmap pixel is '
                'sampled too coarsely to be compared.')
        if joint_weight_offset < 0:
            raise ValueError('joint_weight_offset must be >= 0, got '
                             f'{joint_weight_offset}.')
        if not loss_name.startswith('loss_'):
            raise ValueError(
                f"loss_name must start with 'loss_', got {loss_name!r}.")
        self.sigma = float(sigma)
        self.heatmap_stride = heatmap_stride
        self.joint_weight_offset = float(joint_weight_offset)
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self._loss_name = loss_name
        self.joint_groups = joint_groups
        self.classes = None if classes is None else tuple(classes)
        self.joint_names = None
        # (J, C) long; a plain attribute, not a buffer, so that it stays out
        # of checkpoints (a cross-entropy checkpoint loads without warnings).
        self._membership: Optional[Tensor] = None
        if self.joint_groups is not None and self.classes is not None:
            self._resolve(self.joint_groups, self.classes)

    def _resolve(self, joint_groups: JointGroups,
                 classes: Sequence[str]) -> None:
        self._membership = resolve_joint_groups(joint_groups, classes)
        self.joint_names = tuple(group[0] for group in joint_groups)

    def set_dataset_meta(self, metainfo: dict) -> None:
        """Resolve the joint groups against a dataset's metainfo.

        Explicit ``joint_groups``/``classes`` given at construction win over
        the metainfo's; explicit ``classes`` that differ from the dataset's
        raise, since the class indices would not match the labels.

        Args:
            metainfo (dict): Dataset metainfo with ``classes`` and, unless
                given at construction, ``joint_groups``.
        """
        meta_classes = metainfo.get('classes')
        if (self.classes is not None and meta_classes is not None
                and tuple(meta_classes) != self.classes):
            raise ValueError(
                f'{self.__class__.__name__} was given classes={self.classes}'
                f' but the dataset has classes={tuple(meta_classes)}.')
        classes = self.classes if self.classes is not None else meta_classes
        joint_groups = self.joint_groups
        if joint_groups is None:
            joint_groups = metainfo.get('joint_groups')
        if joint_groups is None or classes is None:
            return  # forward raises if the groups are still unset
        self._resolve(joint_groups, classes)

    def forward(self,
                seg_logits: Tensor,
                seg_label: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: Optional[int] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            seg_logits (Tensor): Logits of shape (N, C, H, W).
            seg_label (Tensor): Labels of shape (N, H, W).
            weight (Tensor, optional): Pixel weight of shape (N, H, W).
                Defaults to None.
            ignore_index (int, optional): Ignored label. Defaults to
                ``self.ignore_index``.

        Returns:
            Tensor: The scalar loss, times ``loss_weight``.
        """
        if self._membership is None:
            raise RuntimeError(
                f'{self.__class__.__name__}: joint groups are not set. Give '
                '`joint_groups` and `classes` in the loss config, or use a '
                "dataset whose metainfo has 'joint_groups' together with "
                "custom_hooks=[dict(type='DatasetMetaHook')].")
        if ignore_index is None:
            ignore_index = self.ignore_index
        num_classes = seg_logits.shape[1]
        membership = self._membership
        if membership.shape[1] != num_classes:
            raise ValueError(
                f'The joint groups are resolved over {membership.shape[1]} '
                f'classes but seg_logits has {num_classes} channels.')
        if membership.device != seg_logits.device:
            membership = membership.to(seg_logits.device)
            self._membership = membership
        seg_label = seg_label.long()
        with torch.no_grad():
            ignored = seg_label == ignore_index
            gt = seg_label.masked_fill(ignored, -1)
            pred = channel_argmax(seg_logits).masked_fill(ignored, -1)
            l_joint = joint_loss_from_labels(pred, gt, membership, self.sigma,
                                             self.heatmap_stride)
            image_weight = self.joint_weight_offset + l_joint
        loss = structure_sensitive_loss(
            seg_logits,
            seg_label,
            image_weight,
            weight=weight,
            ignore_index=ignore_index)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'joints={self.joint_names}, sigma={self.sigma}, '
                f'heatmap_stride={self.heatmap_stride}, '
                f'joint_weight_offset={self.joint_weight_offset}, '
                f'loss_weight={self.loss_weight}')

    @property
    def loss_name(self) -> str:
        """Name of the loss item (mmseg sums items whose name starts with
        ``loss_``)."""
        return self._loss_name
