from .joint_heatmaps import (channel_argmax,
                             gaussian_energy, heatmap_grid, joint_centers,
                             joint_heatmaps, joint_loss,
                             joint_loss_from_labels, resolve_joint_groups)
from .qanet_post_process import QAM_WEIGHTS, check_score_variants, qanet_post_process
from .quality_scores import pixel_score, quality_score

__all__ = [
    'resolve_joint_groups', 'channel_argmax', 'joint_centers',
    'heatmap_grid', 'joint_heatmaps', 'gaussian_energy', 'joint_loss',
    'joint_loss_from_labels', 'pixel_score', 'quality_score', 'QAM_WEIGHTS',
    'check_score_variants', 'qanet_post_process'
]
