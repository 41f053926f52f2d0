from .human_parsing_metric import LIP_ATTRIBUTES, HumanParsingMetric
from .multi_human_parsing_metric import MultiHumanParsingMetric
from .reid_metric import ReIDMetric
from .unsupervised_parsing_metric import UnsupervisedParsingMetric

__all__ = ['HumanParsingMetric', 'LIP_ATTRIBUTES', 'MultiHumanParsingMetric', 'ReIDMetric',
           'UnsupervisedParsingMetric']
