from .base_parsing_inferencer import BaseParsingInferencer
from .human_parsing_inferencer import HumanParsingInferencer
from .multi_human_parsing_inferencer import MultiHumanParsingInferencer
from .utils import is_video, resolve_config

__all__ = [
    'BaseParsingInferencer', 'HumanParsingInferencer', 'MultiHumanParsingInferencer',
    'resolve_config', 'is_video'
]
