from .dataset_meta_hook import DatasetMetaHook
from .dictionary_projection_hook import DictionaryProjectionHook
from .per_epoch_clustering_hook import PerEpochClusteringHook
from .c2l_clustering_hook import C2LClusteringHook
from .isp_clustering_hook import ISPClusteringHook

__all__ = ['DatasetMetaHook', 'DictionaryProjectionHook', 'PerEpochClusteringHook',
           'C2LClusteringHook', 'ISPClusteringHook']
