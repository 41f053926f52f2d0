from .joint_heatmaps import (ATR_JOINT_GROUPS, LIP_JOINT_GROUPS,
                             PASCAL_PERSON_PART_JOINT_GROUPS, gaussian_energy,
                             heatmap_grid, joint_centers, joint_heatmaps,
                             joint_loss, joint_loss_from_labels,
                             resolve_joint_groups)

__all__ = [
    'LIP_JOINT_GROUPS', 'ATR_JOINT_GROUPS', 'PASCAL_PERSON_PART_JOINT_GROUPS',
    'resolve_joint_groups', 'joint_centers', 'heatmap_grid', 'joint_heatmaps',
    'gaussian_energy', 'joint_loss', 'joint_loss_from_labels'
]
