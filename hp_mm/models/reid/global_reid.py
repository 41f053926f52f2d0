"""Global-feature re-ID baseline: backbone -> global average pooling -> BN-neck head."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from hp_mm.registry import MODELS


def labels_of(data_samples) -> List[int]:
    """The contiguous training labels (``label`` metainfo) of a batch; raises if a
    sample has none (e.g. a test-split sample in the training loader)."""
    labels = []
    for ds in data_samples:
        label = ds.metainfo.get('label', -1)
        if label is None or label < 0:
            raise ValueError(f"re-ID training needs each sample's contiguous `label` (0..P-1, "
                             f"from split='train'); {ds.metainfo.get('img_path')} has {label}")
        labels.append(int(label))
    return labels


@MODELS.register_module()
class GlobalReID(BaseModel):
    """The strong re-ID baseline (Luo et al. 2019): ResNet (last stride 1 by config) ->
    GAP -> BN-neck -> label-smoothed CE + batch-hard triplet.

    ::

        loss(inputs, data_samples):
            inputs (B, 3, H, W) ─ data_preprocessor ─> backbone ─> x (B, C, h, w)
            ─> GAP ─> f (B, C) ─> head.loss(f, labels) ─> {loss_cls, loss_triplet, acc}
        predict(inputs, data_samples):
            ... ─> f ─> head.predict(f) (B, C) ─> data_sample.pred_feature (C,)
        _forward(inputs): ... ─> head(f) dict (feat, bn_feat, cls_score)

    The backbone is any registered one (mmseg ``ResNet`` / ``ResNetV1c`` with
    ``strides=(1, 2, 2, 1)`` for last stride 1); the last of its outputs is pooled.

    Note:
        B: batch size. C: backbone output channels. h, w: its spatial size.

    Args:
        backbone (dict): Backbone config.
        head (dict): Head config (:class:`BNNeckHead`).
        data_preprocessor (dict, optional): e.g. ``ImgDataPreprocessor`` with the
            ImageNet mean / std and ``bgr_to_rgb=True``.
        pretrained (str, optional): Backbone checkpoint (sets the backbone's
            ``init_cfg``), as mmseg's segmentors.
        channels_last (bool): Run the network in NHWC memory format (faster on CPU).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, backbone: dict, head: dict, data_preprocessor: Optional[dict] = None,
                 pretrained: Optional[str] = None, channels_last: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if pretrained is not None:
            backbone = dict(backbone, init_cfg=dict(type='Pretrained', checkpoint=pretrained))
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Backbone feature map (B, C, h, w) (its last output)."""
        if self.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        x = self.backbone(inputs)
        return x[-1] if isinstance(x, (list, tuple)) else x

    def pooled(self, inputs: torch.Tensor) -> torch.Tensor:
        """Global-average-pooled feature (B, C)."""
        return F.adaptive_avg_pool2d(self.extract_feat(inputs), 1).flatten(1)

    def loss(self, inputs: torch.Tensor, data_samples) -> Dict[str, torch.Tensor]:
        labels = torch.as_tensor(labels_of(data_samples), device=inputs.device)
        return self.head.loss(self.pooled(inputs), labels)

    def predict_features(self, inputs: torch.Tensor) -> torch.Tensor:
        """Retrieval features (B, C'): the head's test feature of the pooled map (the
        part of ``predict`` that ``hp_mm.deploy`` exports)."""
        return self.head.predict(self.pooled(inputs))

    def predict(self, inputs: torch.Tensor, data_samples=None):
        feats = self.predict_features(inputs)
        if data_samples is None:
            return feats
        for ds, f in zip(data_samples, feats):
            ds.pred_feature = f
        return data_samples

    def _forward(self, inputs: torch.Tensor, data_samples=None) -> Dict[str, torch.Tensor]:
        return self.head(self.pooled(inputs))

    def forward(self, inputs: torch.Tensor, data_samples=None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], list]:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'GlobalReID: invalid mode {mode!r} (loss, predict or tensor)')
