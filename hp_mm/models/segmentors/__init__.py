from .parsing_encoder_decoder import ParsingEncoderDecoder, flip_label_permutation
from .top_down_parser import TopDownParser

__all__ = ['ParsingEncoderDecoder', 'flip_label_permutation', 'TopDownParser']
