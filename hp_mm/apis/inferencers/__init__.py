from .base_hp_mm_inferencer import BaseHPMMInferencer
from .base_parsing_inferencer import BaseParsingInferencer
from .human_parsing_inferencer import HumanParsingInferencer
from .multi_human_parsing_inferencer import MultiHumanParsingInferencer
from .reid_inferencer import ReIDInferencer
from .utils import resolve_config
from .video import is_video

__all__ = [
    'BaseHPMMInferencer', 'BaseParsingInferencer', 'HumanParsingInferencer',
    'MultiHumanParsingInferencer', 'ReIDInferencer', 'resolve_config', 'is_video'
]
