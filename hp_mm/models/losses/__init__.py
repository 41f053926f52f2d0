from .structure_sensitive_loss import (StructureSensitiveLoss,
                                       structure_sensitive_loss)

__all__ = ['StructureSensitiveLoss', 'structure_sensitive_loss']
