from .aspp_v2_head import ASPPV2Head
from .ce2p_head import CE2PHead
from .qanet_head import QANetHead
from .isp_part_head import ISPPartHead
from .cluster_head import ClusterHead
from .part_contrastive_head import (PartContrastiveHead, hungarian_part_matching,
                                    part_info_nce)

__all__ = ['ISPPartHead', 'ASPPV2Head', 'CE2PHead', 'QANetHead',
           'ClusterHead', 'PartContrastiveHead', 'hungarian_part_matching', 'part_info_nce']
