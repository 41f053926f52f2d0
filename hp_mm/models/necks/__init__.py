from .pixel_consistent_module import PixelConsistentModule, SparseCodingFFN, ista_nonneg

__all__ = ['PixelConsistentModule', 'SparseCodingFFN', 'ista_nonneg']
