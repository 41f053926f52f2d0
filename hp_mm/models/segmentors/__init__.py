from .parsing_encoder_decoder import ParsingEncoderDecoder, flip_label_permutation

__all__ = ['ParsingEncoderDecoder', 'flip_label_permutation']
