"""Pure evaluation arithmetic (torch/numpy/scipy only): usable without a runner or registry."""
from .confusion import (iou_from_confusion, merge_confusion_columns,
                        rectangular_confusion_matrix)
from .parsing_confusion import (MEDIUM_SIZE, SIZE_BINS, SMALL_SIZE, confusion_matrix,
                                mirror_confusion, parsing_scores, person_bbox, person_size_bin,
                                size_bin)
from .multi_human_parsing import (IOU_THRESHOLDS, accumulate_image, eval_multi_human_parsing,
                                  gt_index_map, match_persons, region_ious, semantic_confusion,
                                  summarize, voc_ap)
from .part_group_iou import (LIP_PART_GROUPS, group_map, part_group_confusion,
                             part_group_iou)
from .reid import (ALIGNED_FIELDS, aligned_distance, cosine_distance, euclidean_distance,
                   eval_reid, pair_distance, re_ranking)
from .foreground_diagnostics import (best_fixed_box_iou, best_threshold_iou,
                                     foreground_report, roc_auc)
from .linear_probe import linear_probe_miou
from .unsupervised_parsing import cluster_histogram, eval_unsupervised_parsing
# C2L's cluster loss is public here, beside the unsupervised-parsing metric; it lives in
# hp_mm.structures because the models' ClusterHead computes it too (models cannot import evaluation)
from hp_mm.structures.pixel_clusters import cluster_loss

__all__ = [
    'rectangular_confusion_matrix', 'iou_from_confusion', 'merge_confusion_columns',
    'confusion_matrix', 'parsing_scores', 'mirror_confusion', 'person_bbox', 'person_size_bin',
    'size_bin', 'SIZE_BINS', 'SMALL_SIZE', 'MEDIUM_SIZE', 'eval_multi_human_parsing',
    'accumulate_image', 'summarize', 'voc_ap', 'IOU_THRESHOLDS', 'gt_index_map',
    'match_persons', 'region_ious', 'semantic_confusion',
    'LIP_PART_GROUPS', 'group_map', 'part_group_confusion', 'part_group_iou',
    'eval_reid', 're_ranking', 'aligned_distance', 'cosine_distance', 'euclidean_distance',
    'pair_distance', 'ALIGNED_FIELDS',
    'cluster_histogram', 'eval_unsupervised_parsing', 'cluster_loss', 'linear_probe_miou',
    'roc_auc', 'best_threshold_iou', 'best_fixed_box_iou', 'foreground_report'
]
