from .parsing_inference import (colorize, inference_parser, init_parser, list_images,
                                save_parsing_result)

__all__ = ['init_parser', 'inference_parser', 'save_parsing_result', 'colorize', 'list_images']
