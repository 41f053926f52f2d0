import mmseg.datasets  # noqa: F401  (parent registry content; see hp_mm/registry.py)

from .human_parsing_base import CHALLENGE_ATTRIBUTES, HumanParsingDatasetMixin
from .human_parsing_datasets import (ATRDataset, CIHPDataset, LIPDataset,
                                     PascalPersonPartDataset)
from .multi_human_parsing_datasets import (BaseMultiHumanParsingDataset,
                                           CIHPInstanceDataset, LIPInstanceDataset,
                                           MHPv2InstanceDataset,
                                           PascalPersonPartInstanceDataset)
from .reid_datasets import (BaseReIDDataset, CUHK03NPDataset, DukeMTMCReIDDataset,
                            Market1501Dataset, OccludedDukeDataset)
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
from .atr_merged_dataset import ATR_3CLASS_MERGE, ATRMergedDataset

__all__ = [
    'CHALLENGE_ATTRIBUTES', 'HumanParsingDatasetMixin', 'LIPDataset', 'CIHPDataset',
    'ATRDataset', 'PascalPersonPartDataset', 'BaseMultiHumanParsingDataset',
    'CIHPInstanceDataset', 'LIPInstanceDataset', 'MHPv2InstanceDataset', 'PascalPersonPartInstanceDataset',
    'BaseReIDDataset', 'Market1501Dataset', 'DukeMTMCReIDDataset', 'CUHK03NPDataset',
    'OccludedDukeDataset',
    'ATRMergedDataset', 'ATR_3CLASS_MERGE'
]
from .class_list import ClassList, derive_flip_pairs, load_class_list, parse_class_list
from .color_masks import color_mask_to_labels
from .custom_parsing_dataset import CustomParsingDataset
from .label_sets import LABEL_SETS, convert_label_set, label_set_lut, label_set_metainfo

__all__ += [
    'ClassList', 'derive_flip_pairs', 'load_class_list', 'parse_class_list',
    'color_mask_to_labels', 'CustomParsingDataset', 'LABEL_SETS', 'convert_label_set',
    'label_set_lut', 'label_set_metainfo'
]
