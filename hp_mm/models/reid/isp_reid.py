"""ISP: identity-guided human semantic parsing for person re-ID (the model).

Zhu et al., "Identity-Guided Human Semantic Parsing for Person
Re-Identification", ECCV 2020, Sec. 3 (eq. 1-8, 10). Checked against
CASIA-IVA-Lab/ISP-reID ``modeling/baseline.py``, ``modeling/backbones/cls_hrnet.py``
and ``layers/__init__.py`` (``make_loss``).

The pseudo-labels come from :class:`hp_mm.engine.hooks.ISPClusteringHook`
(cascaded clustering of ``M_g`` every ``interval`` epochs) through
``LoadPseudoLabels`` in the training pipeline (``gt_pseudo_seg``).
"""
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from torch import Tensor

from hp_mm.registry import MODELS
from ..heads.isp_part_head import part_visibility
from .global_reid import labels_of


@MODELS.register_module()
class ISPReID(BaseModel):
    """ISP re-ID model: backbone -> ``M_g`` -> part classifier -> weighted pooling.

    ::

        loss(inputs, data_samples):
            inputs (N, 3, H, W) ─ backbone ─> maps ─ neck ─> M_g (N, C, h, w) [, concat]
            M_g ─ part_head ─> logits (N, K, h, w) ─ softmax ─> P (eq. 5)
            (M_g, P) ─ weighted pooling ─> F_1..F_{K-1} (N, K-1, C), F_f (N, C), F_g (N, C)
            L = L_p(concat F_k) + L_f(F_f) + L_g(F_g)     (eq. 7; each: batch-hard triplet on
                                                           the feature + label-smoothed CE
                                                           after its BN-neck)
                + alpha * L_parsing(logits, gt_pseudo_seg) (eq. 6, alpha = 0.1)
        predict(inputs, data_samples):
            ... ─> the BN-neck features of F_g, F_f, F_1..F_{K-1}; visibility l_k (eq. 8)
            data_sample.pred_feature = [parts, global, foreground] (the official
                                        plain-distance feature, (K+1) C)
            data_sample.pred_global_feature (C,), pred_foreground_feature (C,),
                        pred_part_features (K-1, C), pred_part_visibility (K-1,) bool
                        (ReIDMetric(distance='aligned'), eq. 10)
            data_sample.pred_part_seg  PixelData (1, H0, W0): argmax part map at the
                                       original image size
        extract_clustering_feat(inputs): M_g (N, C, h, w), what the clustering groups

    Note:
        N: batch; C: channels of ``M_g``; h, w: its size (1/4 of the input); K: part
        classes, background included.

    Args:
        backbone (dict): Backbone config (mmseg ``HRNet``, :class:`UpsampleResNet`...).
        neck (dict): :class:`ISPNeck` config (builds ``M_g`` from the backbone maps).
        part_head (dict): :class:`ISPPartHead` config; its ``num_classes`` is K.
        reid_head (dict): :class:`BNNeckHead` config shared by the three features;
            ``in_channels`` is filled in (C, C and (K-1) C; the global feature's C is the
            neck's concatenation width with ``global_feature='concat'``).
        global_feature (str): ``'reduced'``: F_g = GAP(M_g) (default, the official
            ``IF_BIGG=False``), or ``'concat'``: GAP of the neck's concatenation before
            its 1x1 reduction (official ``IF_BIGG=True``, its CUHK03-NP scripts).
        data_preprocessor (dict, optional): e.g. ``ImgDataPreprocessor`` (ImageNet mean
            / std, ``bgr_to_rgb=True``).
        pretrained (str, optional): Backbone checkpoint (sets its ``init_cfg``).
        channels_last (bool): Run in NHWC memory format (faster on CPU).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, backbone: dict, neck: dict, part_head: dict, reid_head: dict,
                 global_feature: str = 'reduced', data_preprocessor: Optional[dict] = None,
                 pretrained: Optional[str] = None, channels_last: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if global_feature not in ('reduced', 'concat'):
            raise ValueError(f"ISPReID: global_feature must be 'reduced' or 'concat', got "
                             f'{global_feature!r}')
        if pretrained is not None:
            backbone = dict(backbone, init_cfg=dict(type='Pretrained', checkpoint=pretrained))
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        channels = self.neck.out_channels
        self.part_head = MODELS.build(dict(part_head, in_channels=channels))
        self.num_classes = self.part_head.num_classes  # K
        self.global_feature = global_feature
        g_channels = self.neck.concat_channels if global_feature == 'concat' else channels
        self.global_head = MODELS.build(dict(reid_head, in_channels=g_channels))
        self.foreground_head = MODELS.build(dict(reid_head, in_channels=channels))
        self.parts_head = MODELS.build(dict(reid_head,
                                            in_channels=channels * (self.num_classes - 1)))
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    # ------------------------------------------------------------------ features
    def _maps(self, inputs: Tensor, with_concat: bool = False):
        if self.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        maps = self.backbone(inputs)
        if isinstance(maps, Tensor):
            maps = [maps]
        return self.neck(maps, with_concat=with_concat)  # (M_g, concat or None)

    def extract_clustering_feat(self, inputs: Tensor) -> Tensor:
        """``M_g`` (N, C, h, w), the feature map the cascaded clustering groups."""
        return self._maps(inputs)[0].contiguous()

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """``[M_g]`` (as mmseg's ``extract_feat``, a list whose last item is M_g)."""
        return [self.extract_clustering_feat(inputs)]

    def _forward_features(self, inputs: Tensor) -> Dict[str, Tensor]:
        feats, cat = self._maps(inputs, with_concat=self.global_feature == 'concat')
        logits = self.part_head(feats)
        parts, fore, glob = self.part_head.pool(feats, logits)
        if self.global_feature == 'concat':
            glob = cat.mean((2, 3))
        return dict(feats=feats, logits=logits, parts=parts, foreground=fore, glob=glob)

    # ------------------------------------------------------------------ modes
    def loss(self, inputs: Tensor, data_samples) -> Dict[str, Tensor]:
        labels = torch.as_tensor(labels_of(data_samples), device=inputs.device)
        pseudo = []
        for ds in data_samples:
            if 'gt_pseudo_seg' not in ds:
                raise KeyError(
                    f"ISPReID: training sample {ds.metainfo.get('img_path')} has no "
                    "gt_pseudo_seg: add dict(type='LoadPseudoLabels') after image loading in "
                    "the train pipeline, and the clustering hook that writes the labels to the "
                    "config: default_hooks = dict(clustering=dict(type='ISPClusteringHook', "
                    "pipeline=...))")
            pseudo.append(ds.gt_pseudo_seg.data)
        pseudo = torch.stack(pseudo).to(inputs.device)[:, 0]  # (N, H, W)
        out = self._forward_features(inputs)
        losses = {}
        losses.update(self.parts_head.loss(out['parts'].flatten(1), labels, prefix='part_'))
        losses.update(self.foreground_head.loss(out['foreground'], labels, prefix='fore_'))
        losses.update(self.global_head.loss(out['glob'], labels, prefix='global_'))
        losses.update(self.part_head.loss(out['logits'], pseudo))
        return losses

    def predict_features(self, inputs: Tensor) -> Dict[str, Tensor]:
        """The retrieval features and part maps of a batch (the part of ``predict`` that
        ``hp_mm.deploy`` exports).

        Returns:
            dict[str, Tensor]: ``pred_feature`` (N, (K+1) C) = [parts, global,
            foreground], ``pred_global_feature`` (N, C), ``pred_foreground_feature``
            (N, C), ``pred_part_features`` (N, K-1, C), ``pred_part_visibility`` (N, K-1)
            bool and ``pred_part_logits`` (N, K, h, w).
        """
        out = self._forward_features(inputs)
        n = inputs.shape[0]
        parts = self.parts_head.predict(out['parts'].flatten(1))  # (N, (K-1) C)
        glob = self.global_head.predict(out['glob'])
        fore = self.foreground_head.predict(out['foreground'])
        return dict(pred_feature=torch.cat([parts, glob, fore], 1),
                    pred_global_feature=glob, pred_foreground_feature=fore,
                    pred_part_features=parts.view(n, self.num_classes - 1, -1),
                    pred_part_visibility=part_visibility(out['logits']),
                    pred_part_logits=out['logits'])

    def predict(self, inputs: Tensor, data_samples=None):
        out = self.predict_features(inputs)
        if data_samples is None:
            return out
        logits = F.interpolate(out['pred_part_logits'], size=inputs.shape[2:], mode='bilinear',
                               align_corners=False)
        for i, ds in enumerate(data_samples):
            for key in ('pred_feature', 'pred_global_feature', 'pred_foreground_feature',
                        'pred_part_features', 'pred_part_visibility'):
                setattr(ds, key, out[key][i])
            logit = logits[i:i + 1]
            ori = ds.metainfo.get('ori_shape')
            if ori is not None and tuple(ori[:2]) != tuple(logit.shape[2:]):
                logit = F.interpolate(logit, size=tuple(ori[:2]), mode='bilinear',
                                      align_corners=False)
            ds.pred_part_seg = PixelData(data=logit.argmax(1))
        return data_samples

    def _forward(self, inputs: Tensor, data_samples=None) -> Dict[str, Tensor]:
        return self._forward_features(inputs)

    def forward(self, inputs: Tensor, data_samples=None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], list]:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'ISPReID: invalid mode {mode!r} (loss, predict or tensor)')
