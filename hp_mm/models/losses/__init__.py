from .class_weighted_cross_entropy_loss import (ClassWeightedCrossEntropyLoss,
                                                class_weighted_cross_entropy)
from .structure_sensitive_loss import (StructureSensitiveLoss,
                                       structure_sensitive_loss)

__all__ = [
    'ClassWeightedCrossEntropyLoss', 'class_weighted_cross_entropy', 'StructureSensitiveLoss',
    'structure_sensitive_loss'
]
