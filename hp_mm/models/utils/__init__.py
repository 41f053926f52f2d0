from .joint_heatmaps import (channel_argmax,
                             gaussian_energy, heatmap_grid, joint_centers,
                             joint_heatmaps, joint_loss,
                             joint_loss_from_labels, resolve_joint_groups)
from .quality_scores import pixel_score, quality_score
from .top_down_affine import (bbox_xywh_to_xyxy, bbox_xyxy_to_center_scale,
                              bbox_xyxy_to_xywh, get_affine_matrix,
                              mask_to_bbox, paste_crops, warp_to_crops)

__all__ = [
    'resolve_joint_groups', 'channel_argmax', 'joint_centers',
    'heatmap_grid', 'joint_heatmaps', 'gaussian_energy', 'joint_loss',
    'joint_loss_from_labels', 'pixel_score', 'quality_score',
    'bbox_xyxy_to_center_scale', 'get_affine_matrix', 'warp_to_crops', 'paste_crops',
    'bbox_xywh_to_xyxy', 'bbox_xyxy_to_xywh', 'mask_to_bbox'
]
