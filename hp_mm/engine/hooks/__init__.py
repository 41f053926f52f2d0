from .dataset_meta_hook import DatasetMetaHook
from .per_epoch_clustering_hook import PerEpochClusteringHook

__all__ = ['DatasetMetaHook', 'PerEpochClusteringHook']
