from .aspp_v2_head import ASPPV2Head
from .ce2p_head import CE2PHead
from .qanet_head import QANetHead

__all__ = ['ASPPV2Head', 'CE2PHead', 'QANetHead']
