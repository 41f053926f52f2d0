from .parsing_encoder_decoder import ParsingEncoderDecoder, flip_label_permutation
from .top_down_parser import TopDownParser
from .c2l import C2L, TwoViewSegDataPreProcessor

__all__ = ['ParsingEncoderDecoder', 'flip_label_permutation', 'TopDownParser',
           'C2L', 'TwoViewSegDataPreProcessor']
