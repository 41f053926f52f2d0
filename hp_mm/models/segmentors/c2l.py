"""C²L: contrastive and consistent learning for unsupervised human parsing (Zhang et al.),
on PiCIE (Cho et al., CVPR 2021)."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmseg.models import SegDataPreProcessor
from mmseg.models.segmentors import BaseSegmentor
from mmseg.utils import stack_batch

from hp_mm.registry import MODELS
from hp_mm.structures.pixel_clusters import apply_view_geometry


@MODELS.register_module()
class TwoViewSegDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` for inputs that stack two views along the channels.

    ``PackTwoViewInputs`` packs a training sample as one (6, H, W) tensor (view 1 then
    view 2, each 3-channel BGR); each half is converted (BGR -> RGB) and normalised with
    the same ``mean``/``std`` as a 3-channel image, so the model gets (B, 6, H, W).
    3-channel inputs (validation, test, the clustering of un-augmented images) take
    ``SegDataPreProcessor``'s own path.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if inputs[0].size(0) != 6:
            return super().forward(data, training)
        data = self.cast_data(data)
        inputs, data_samples = data['inputs'], data.get('data_samples')
        views = []
        for x in inputs:
            x = x.reshape(2, 3, *x.shape[1:])
            if self.channel_conversion:
                x = x[:, [2, 1, 0]]
            x = x.float()
            if self._enable_normalize:
                x = (x - self.mean) / self.std
            views.append(x.reshape(6, *x.shape[2:]))
        sizes = {tuple(v.shape) for v in views}
        if data_samples is not None and len(sizes) > 1:
            views, data_samples = stack_batch(views, data_samples, size=self.size,
                                              size_divisor=self.size_divisor, pad_val=self.pad_val,
                                              seg_pad_val=self.seg_pad_val)
        elif len(sizes) > 1:
            raise ValueError(f'two-view inputs of different sizes {sorted(sizes)} need '
                             'data_samples')
        else:
            views = torch.stack(views)
        return dict(inputs=views, data_samples=data_samples)


@MODELS.register_module()
class C2L(BaseSegmentor):
    """C²L / PiCIE: per-epoch pixel clustering of two aligned views + cluster loss.

    Note:
        B: batch size. H, W: input size. C: feature channels at stride s (``h = H/s``).
        K: clusters (``decode_head.num_classes``). N: parts of the part head.

    Two photometric views ``P^1(x)``, ``P^2(x)`` and one geometric transform G
    (``view_crop``, ``view_flip`` of the data sample; :func:`apply_view_geometry`)
    come from ``GenerateTwoViews``; inputs are (B, 6, H, W). Algorithm 1::

        loss(inputs (B,6,H,W), data_samples with gt_pseudo_seg (2,h,w))
          x1, x2 = inputs[:, :3], inputs[:, 3:]
          m1 = G(f(x1))              f = backbone (+ neck)[feature_index]: (B,C,h,w)
          m2 = f(G(x2))
          y^v, L_c^v = S(m^v)       S = pixel_module (optional; identity if None)
          loss_view    = decode_head.loss(y1, y2, z1, z2)       (PiCIE L_within [+ L_cross])
          loss_part_contrast = alpha * L_r(C(m1), C(m2))        (part_head, optional)
          loss_sparse_code   = beta * (L_c^1 + L_c^2) / 2       (pixel_module 'sparse')

        predict(inputs (B,3,H,W))
          y = S(f(x)) -> decode_head.predict(y) = <y/|y|, mu^1>  (B,K,h,w)
              -> resize to (H,W) -> postprocess_result: resize to ori_shape, argmax
              -> pred_sem_seg holds cluster indices (match them with
                 UnsupervisedParsingMetric)

        extract_view_features(inputs, data_samples) -> (y1, y2)  (the clustering hook)

    Args:
        backbone (dict): Any mmseg/mmdet backbone config.
        decode_head (dict): ``ClusterHead`` config (centroids and L_view).
        neck (dict, optional): E.g. ``FPN``; the map ``feature_index`` of its
            outputs is f. Defaults to None.
        feature_index (int): Which backbone/neck output is f (0 = stride 4 for FPN).
            Defaults to 0.
        pixel_module (dict, optional): ``PixelConsistentModule`` config (S). Defaults
            to None (PiCIE: y = f).
        part_head (dict, optional): ``PartContrastiveHead`` config (C). Defaults to None.
        align_corners (bool): Of the logits' resizing. Defaults to False.
        train_cfg, test_cfg (dict, optional): Unused, kept for mmseg compatibility.
        data_preprocessor (dict, optional): ``TwoViewSegDataPreProcessor`` config.
        pretrained (str, optional): Backbone checkpoint. Defaults to None.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 decode_head: dict,
                 neck: Optional[dict] = None,
                 feature_index: int = 0,
                 pixel_module: Optional[dict] = None,
                 part_head: Optional[dict] = None,
                 align_corners: bool = False,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if pretrained is not None:
            backbone = dict(backbone, init_cfg=dict(type='Pretrained', checkpoint=pretrained))
        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)
        self.feature_index = feature_index
        self.pixel_module = MODELS.build(pixel_module) if pixel_module is not None else None
        self.part_head = MODELS.build(part_head) if part_head is not None else None
        self.decode_head = MODELS.build(decode_head)
        self.num_classes = self.decode_head.num_classes
        self.out_channels = self.num_classes
        self.align_corners = align_corners
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

    # ------------------------------------------------------------------ features
    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """f: backbone (+ neck), the map ``feature_index``; shape (B, C, h, w)."""
        x = self.backbone(inputs)
        if self.with_neck:
            x = self.neck(x)
        if isinstance(x, (list, tuple)):
            x = x[self.feature_index]
        return x

    def refine(self, feats: torch.Tensor) -> Tuple[torch.Tensor, dict]:
        """S: the pixel consistent module (identity without one)."""
        if self.pixel_module is None:
            return feats, {}
        return self.pixel_module(feats)

    @staticmethod
    def view_geometry(data_samples: Sequence) -> Tuple[torch.Tensor, torch.Tensor]:
        """The G of each sample: crop boxes (B, 4) and flip flags (B,)."""
        try:
            crops = [s.metainfo['view_crop'] for s in data_samples]
            flips = [bool(s.metainfo['view_flip']) for s in data_samples]
        except KeyError as e:
            raise KeyError(f'C2L needs the data samples\' {e} metainfo: put GenerateTwoViews '
                           'in the pipeline and PackTwoViewInputs at its end') from e
        return torch.as_tensor(crops, dtype=torch.float32), torch.as_tensor(flips)

    def view_features(self, inputs: torch.Tensor,
                      data_samples: Sequence) -> Tuple[torch.Tensor, torch.Tensor]:
        """Aligned features of the two views: ``G(f(x1))`` and ``f(G(x2))``, (B, C, h, w) each."""
        if inputs.dim() != 4 or inputs.shape[1] != 6:
            raise ValueError(f'C2L expects two stacked views (B, 6, H, W), got '
                             f'{tuple(inputs.shape)}: use PackTwoViewInputs and '
                             'TwoViewSegDataPreProcessor')
        crops, flips = self.view_geometry(data_samples)
        x1, x2 = inputs[:, :3], inputs[:, 3:]
        m2 = self.extract_feat(apply_view_geometry(x2, crops, flips))
        m1 = apply_view_geometry(self.extract_feat(x1), crops, flips, out_size=m2.shape[-2:])
        return m1, m2

    @torch.no_grad()
    def extract_view_features(self, inputs: torch.Tensor,
                              data_samples: Sequence) -> Tuple[torch.Tensor, torch.Tensor]:
        """``y^1, y^2`` (after S) of a batch, for clustering; shapes (B, C, h, w)."""
        m1, m2 = self.view_features(inputs, data_samples)
        return self.refine(m1)[0], self.refine(m2)[0]

    # ------------------------------------------------------------------ train
    def loss(self, inputs: torch.Tensor, data_samples: List) -> Dict[str, torch.Tensor]:
        """Eq. 8: ``L_view + alpha L_r + beta L_c``.

        Args:
            inputs (Tensor): Two stacked views, shape (B, 6, H, W).
            data_samples (list[SegDataSample]): With ``view_crop``, ``view_flip`` and
                ``gt_pseudo_seg`` (PixelData (2, h, w): z^1, z^2).

        Returns:
            dict[str, Tensor]: The losses (and logged-only terms).
        """
        m1, m2 = self.view_features(inputs, data_samples)
        y1, aux1 = self.refine(m1)
        y2, aux2 = self.refine(m2)
        try:
            labels = torch.stack([s.gt_pseudo_seg.data for s in data_samples]).to(y1.device)
        except AttributeError as e:
            raise AttributeError('C2L.loss needs gt_pseudo_seg (the clustering hook\'s labels): '
                                 'add C2LClusteringHook and LoadPseudoLabels') from e
        if labels.shape[1] != 2 or tuple(labels.shape[2:]) != tuple(y1.shape[2:]):
            raise ValueError(f'gt_pseudo_seg must have shape (2, h, w) = (2, {y1.shape[2]}, '
                             f'{y1.shape[3]}) (both views at feature resolution), got '
                             f'{tuple(labels.shape[1:])}')
        losses = self.decode_head.loss(y1, y2, labels[:, 0], labels[:, 1])
        if self.part_head is not None:
            losses.update(self.part_head.loss(m1, m2))
        if aux1.get('loss') is not None:
            pm = self.pixel_module
            losses[pm.loss_name] = pm.loss_weight * (aux1['loss'] + aux2['loss']) / 2
        return losses

    # ------------------------------------------------------------------ test
    def encode_decode(self, inputs: torch.Tensor, batch_img_metas: List[dict]) -> torch.Tensor:
        """Cluster logits resized to the input size, shape (B, K, H, W)."""
        logits = self.decode_head.predict(self.refine(self.extract_feat(inputs))[0])
        return F.interpolate(logits, size=inputs.shape[-2:], mode='bilinear',
                             align_corners=self.align_corners)

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List] = None) -> List:
        """Cluster maps of 3-channel images (``pred_sem_seg`` = cluster indices)."""
        if data_samples is not None:
            batch_img_metas = [s.metainfo for s in data_samples]
        else:
            batch_img_metas = [
                dict(ori_shape=inputs.shape[2:], img_shape=inputs.shape[2:],
                     pad_shape=inputs.shape[2:], padding_size=[0, 0, 0, 0])
            ] * inputs.shape[0]
        seg_logits = self.encode_decode(inputs, batch_img_metas)
        return self.postprocess_result(seg_logits, data_samples)

    def _forward(self, inputs: torch.Tensor, data_samples: Optional[List] = None) -> torch.Tensor:
        """Cluster logits at feature resolution, shape (B, K, h, w)."""
        return self.decode_head.predict(self.refine(self.extract_feat(inputs))[0])
