"""Packing of whole-image multi-person parsing samples (evaluation / inference)."""
import numpy as np
import torch
from mmengine.structures import InstanceData, PixelData
from mmseg.datasets.transforms import PackSegInputs

from hp_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackMultiPersonParsingInputs(PackSegInputs):
    """mmseg ``PackSegInputs`` plus the person boxes and the human-id map.

    The image is packed whole (no resize): the top-down model crops each
    person itself and pastes the results back into this frame.

    Required Keys: ``img`` (H, W, 3) uint8, ``gt_seg_map`` (H, W) (optional),
    ``gt_instance_map`` (H, W) (optional), ``bboxes`` (N, 4) ``(x1, y1, x2,
    y2)``, ``bbox_scores`` (N,) (optional, default 1), and the ``meta_keys``
    present.

    Added Keys: ``inputs`` (3, H, W) uint8 tensor; ``data_samples``, a
    ``SegDataSample`` with

    - ``gt_sem_seg``: ``PixelData`` (1, H, W) int64 category map;
    - ``gt_instance_map``: ``PixelData`` (1, H, W) int64 person ids (0 = none);
    - ``person_boxes``: ``InstanceData`` with ``bboxes`` (N, 4) float32 and
      ``scores`` (N,) float32;
    - metainfo: the ``meta_keys`` present in the results.

    Args:
        meta_keys (tuple[str]): Keys copied to the metainfo.
    """

    def __init__(self, meta_keys=('img_path', 'seg_map_path', 'human_map_path', 'img_id',
                                  'ori_shape', 'img_shape', 'flip_pairs', 'num_classes',
                                  'box_source', 'reduce_zero_label')) -> None:
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        if results.get('bboxes') is None:
            raise KeyError(f'{type(self).__name__}: no person boxes (`bboxes`) for '
                           f'{results.get("img_path")}; run LoadMultiPersonAnnotations first')
        packed = super().transform(results)
        data_sample = packed['data_samples']
        if 'gt_instance_map' in results:
            human = np.ascontiguousarray(results['gt_instance_map'])
            data_sample.gt_instance_map = PixelData(
                data=torch.from_numpy(human[None].astype(np.int64)))
        boxes = np.asarray(results['bboxes'], np.float32).reshape(-1, 4)
        scores = results.get('bbox_scores')
        scores = (np.ones(len(boxes), np.float32) if scores is None else
                  np.asarray(scores, np.float32).reshape(-1))
        if len(scores) != len(boxes):
            raise ValueError(f'{len(boxes)} boxes but {len(scores)} bbox_scores for '
                             f'{results.get("img_path")}')
        data_sample.person_boxes = InstanceData(bboxes=torch.from_numpy(boxes.copy()),
                                                scores=torch.from_numpy(scores.copy()))
        return packed
