from .human_parsing_metric import LIP_ATTRIBUTES, HumanParsingMetric
from .multi_human_parsing_metric import MultiHumanParsingMetric

__all__ = ['HumanParsingMetric', 'LIP_ATTRIBUTES', 'MultiHumanParsingMetric']
