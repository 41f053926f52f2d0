from .inferencers import HumanParsingInferencer, MultiHumanParsingInferencer
from .multi_parsing_inference import (detect_persons, draw_multi_parsing_result,
                                      inference_multi_parser, init_multi_parser,
                                      save_multi_parsing_result, shown_persons)
from .parsing_inference import (check_image_bytes, colorize, inference_parser, init_parser,
                                list_images, parsing_visualizer, read_image, save_parsing_result)
from .reid_inference import (inference_reid, init_reid_model, rank_gallery, reid_distance,
                             save_features, save_part_overlay)

__all__ = [
    'init_parser', 'inference_parser', 'save_parsing_result', 'colorize', 'list_images',
    'init_multi_parser', 'inference_multi_parser', 'detect_persons',
    'save_multi_parsing_result', 'shown_persons', 'draw_multi_parsing_result', 'read_image',
    'check_image_bytes', 'parsing_visualizer', 'HumanParsingInferencer',
    'MultiHumanParsingInferencer', 'init_reid_model', 'inference_reid', 'reid_distance',
    'rank_gallery', 'save_part_overlay', 'save_features'
]
