from .multi_parsing_inference import (detect_persons, inference_multi_parser, init_multi_parser,
                                      save_multi_parsing_result)
from .parsing_inference import (colorize, inference_parser, init_parser, list_images,
                                save_parsing_result)

__all__ = [
    'init_parser', 'inference_parser', 'save_parsing_result', 'colorize', 'list_images',
    'init_multi_parser', 'inference_multi_parser', 'detect_persons',
    'save_multi_parsing_result'
]
