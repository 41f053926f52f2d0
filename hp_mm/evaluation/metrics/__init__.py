from .human_parsing_metric import LIP_ATTRIBUTES, HumanParsingMetric

__all__ = ['HumanParsingMetric', 'LIP_ATTRIBUTES']
