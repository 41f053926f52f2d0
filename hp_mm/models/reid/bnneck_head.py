"""BN-neck identity head: the re-ID baseline's feature -> BN -> classifier."""
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from hp_mm.registry import MODELS


@MODELS.register_module()
class BNNeckHead(BaseModule):
    """BN-neck head (Luo et al., "Bag of Tricks and a Strong Baseline for Deep Person
    Re-ID", CVPRW 2019), reused by every hp_mm re-ID model (global baseline, ISP's
    global / foreground / part features).

    ::

        feat f_t (B, C) ──> triplet loss (batch-hard, on f_t by default)
           │
           BatchNorm1d (bias frozen at 0)
           │
        bn_feat f_i (B, C) ──> Linear(C, N, no bias) ──> cls_score (B, N) ──> ID loss
           │
        predict: f_i (``test_feature='post_bn'``) or f_t (``'pre_bn'``)

    The default losses are label-smoothed cross-entropy (eps 0.1) and mmdet's
    ``TripletLoss`` (batch-hard, margin 0.3, mean over anchors of
    ``max(0, d(a, p_hard) - d(a, n_hard) + m)`` on Euclidean distances; checked
    against the formula in ``tests/test_models/test_reid``). Either may be None.

    Note:
        B: batch size. C: ``in_channels``. N: ``num_classes`` (training identities).

    Args:
        in_channels (int): Feature channels C.
        num_classes (int): Training identities N (the dataset's ``num_identities``; with
            ``DatasetMetaHook`` a mismatch is an error before training starts).
        loss_cls (dict, optional): Identity loss config.
        loss_triplet (dict, optional): Metric loss config.
        triplet_on (str): ``'pre_bn'`` (f_t, the paper) or ``'post_bn'``.
        test_feature (str): ``'post_bn'`` (f_i, the paper) or ``'pre_bn'``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, in_channels: int, num_classes: int,
                 loss_cls: Optional[dict] = dict(type='LabelSmoothCrossEntropyLoss',
                                                 epsilon=0.1, loss_weight=1.0),
                 loss_triplet: Optional[dict] = dict(type='mmdet.TripletLoss', margin=0.3,
                                                     loss_weight=1.0),
                 triplet_on: str = 'pre_bn', test_feature: str = 'post_bn',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, v in (('triplet_on', triplet_on), ('test_feature', test_feature)):
            if v not in ('pre_bn', 'post_bn'):
                raise ValueError(f"BNNeckHead: {name} must be 'pre_bn' or 'post_bn', got {v!r}")
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.triplet_on = triplet_on
        self.test_feature = test_feature
        self.bn = nn.BatchNorm1d(in_channels)
        self.bn.bias.requires_grad_(False)
        self.classifier = nn.Linear(in_channels, num_classes, bias=False)
        if loss_triplet is not None and str(loss_triplet.get('type', '')).startswith('mmdet.'):
            import mmdet.registry  # noqa: F401  (makes the ``mmdet.`` scope resolvable)
        self.loss_cls = MODELS.build(loss_cls) if loss_cls is not None else None
        self.loss_triplet = MODELS.build(loss_triplet) if loss_triplet is not None else None

    def init_weights(self) -> None:
        """Classifier ~ N(0, 0.001), BN weight 1 / bias 0 (the paper's initialisation);
        an ``init_cfg`` given by the user wins."""
        super().init_weights()
        if self.init_cfg is None:
            nn.init.normal_(self.classifier.weight, std=0.001)
            nn.init.constant_(self.bn.weight, 1.0)
            nn.init.constant_(self.bn.bias, 0.0)

    def forward(self, feat: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args: feat (B, C). Returns dict ``feat`` (B, C), ``bn_feat`` (B, C),
        ``cls_score`` (B, N)."""
        bn_feat = self.bn(feat)
        return dict(feat=feat, bn_feat=bn_feat, cls_score=self.classifier(bn_feat))

    def loss(self, feat: torch.Tensor, labels: torch.Tensor,
             prefix: str = '') -> Dict[str, torch.Tensor]:
        """Losses of one feature.

        Args:
            feat (torch.Tensor): Features f_t, shape (B, C).
            labels (torch.Tensor): Identity labels 0..N-1, shape (B,) int64.
            prefix (str): Inserted after ``loss_`` / before ``acc`` in the keys, so one
                model can use several heads (``'global_'`` -> ``loss_global_cls``).

        Returns:
            dict: ``loss_<prefix>cls``, ``loss_<prefix>triplet`` (those configured) and
            ``<prefix>acc`` (top-1 training accuracy, %, not a loss).
        """
        out = self(feat)
        losses = {}
        if self.loss_cls is not None:
            losses[f'loss_{prefix}cls'] = self.loss_cls(out['cls_score'], labels)
        if self.loss_triplet is not None:
            tri_feat = out['feat'] if self.triplet_on == 'pre_bn' else out['bn_feat']
            losses[f'loss_{prefix}triplet'] = self.loss_triplet(tri_feat, labels)
        with torch.no_grad():
            acc = (out['cls_score'].argmax(1) == labels).float().mean() * 100
        losses[f'{prefix}acc'] = acc
        return losses

    def predict(self, feat: torch.Tensor) -> torch.Tensor:
        """Retrieval feature, shape (B, C)."""
        return self.bn(feat) if self.test_feature == 'post_bn' else feat

    def set_dataset_meta(self, metainfo: dict) -> None:
        """Check ``num_classes`` against the training set's identities (called by
        ``DatasetMetaHook``); test-set metainfo is ignored."""
        if metainfo.get('split') == 'train' and 'num_identities' in metainfo and \
                metainfo['num_identities'] != self.num_classes:
            raise ValueError(
                f"BNNeckHead: num_classes={self.num_classes} but the training set "
                f"({metainfo.get('dataset_name', '?')}) has {metainfo['num_identities']} "
                'identities; set the head\'s num_classes to it')
