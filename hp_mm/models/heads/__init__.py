from .aspp_v2_head import ASPPV2Head
from .qanet_head import QANetHead

__all__ = ['ASPPV2Head', 'QANetHead']
