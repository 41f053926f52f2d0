"""Pure operations shared by datasets, models, evaluation and apis (torch/numpy only).

Dependency direction: ``structures`` <- ``datasets``, ``models``, ``evaluation`` <-
``engine`` <- ``visualization``, ``apis`` <- ``tools``. Nothing here imports the
registry, mmengine or another hp_mm package.

- :mod:`.array_like`: the tensor / ndarray converters every layer uses.
- :mod:`.bbox`: box conventions (COCO <-> pixel-centre xyxy), mask boxes, QANet's
  box -> centre / scale extension.
- :mod:`.warp`: top-down affine matrices, batched crop warping and paste-back.
- :mod:`.person_parsing`: per-person parsing maps: painting persons into semantic
  and instance maps, mean part IoU, parsing NMS.
- :mod:`.pixel_clusters`: PiCIE / C²L pixel-cluster ops (cluster logits and loss,
  balance weights, the view geometry G).
"""
from .array_like import ArrayLike, as_container_of, to_numpy, to_tensor
from .bbox import (bbox_center_xyxy_to_coco, bbox_coco_to_center_xyxy,
                   bbox_xyxy_to_center_scale, mask_to_bbox)
from .label_map import as_label_map
from .person_parsing import (QANET_SCORE_THR, mean_part_iou, paint_persons,
                             paired_parsing_miou, pairwise_parsing_miou, parsing_nms,
                             person_instance_maps, semantic_map)
from .pseudo_label_store import IGNORE_LABEL, PseudoLabelStore
from .warp import get_affine_matrix, paste_crops, warp_to_crops
from .pixel_clusters import (apply_view_geometry, cluster_balance_weight, cluster_logits,
                             cluster_loss)

__all__ = [
    'ArrayLike', 'as_container_of', 'to_numpy', 'to_tensor',
    'bbox_coco_to_center_xyxy', 'bbox_center_xyxy_to_coco', 'bbox_xyxy_to_center_scale',
    'mask_to_bbox', 'as_label_map', 'get_affine_matrix', 'warp_to_crops', 'paste_crops',
    'QANET_SCORE_THR',
    'paint_persons', 'semantic_map', 'person_instance_maps', 'mean_part_iou',
    'paired_parsing_miou', 'pairwise_parsing_miou', 'parsing_nms',
    'PseudoLabelStore', 'IGNORE_LABEL',
    'cluster_logits', 'cluster_loss', 'cluster_balance_weight', 'apply_view_geometry'
]
