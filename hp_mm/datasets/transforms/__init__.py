from .flip import ParsingRandomFlip
from .loading import LoadParsingAnnotations, LoadParsingImageFromFile

__all__ = ['ParsingRandomFlip', 'LoadParsingAnnotations', 'LoadParsingImageFromFile']
