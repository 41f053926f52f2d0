"""Pure evaluation arithmetic (torch/numpy only): usable without a runner or registry."""
from .parsing_confusion import (MEDIUM_SIZE, SIZE_BINS, SMALL_SIZE, confusion_matrix,
                                mirror_confusion, parsing_scores, person_bbox, person_size_bin,
                                size_bin)

__all__ = [
    'confusion_matrix', 'parsing_scores', 'mirror_confusion', 'person_bbox', 'person_size_bin',
    'size_bin', 'SIZE_BINS', 'SMALL_SIZE', 'MEDIUM_SIZE'
]
