from .flip import ParsingRandomFlip
from .formatting import PackMultiPersonParsingInputs
from .loading import LoadParsingAnnotations, LoadParsingImageFromFile
from .pseudo_labels import LoadPseudoLabels
from .reid_transforms import (LoadReIDPartMask, PackReIDInputs, ReIDRandomErasing,
                              ReIDRandomFlip, ReIDRandomPadCrop, ReIDResize)
from .top_down import (LoadMultiPersonAnnotations, LoadPersonParsingAnnotation,
                       PersonAffine, PersonBBoxCenterScale, PersonRandomFlip,
                       PersonRandomScaleRotate)
from .two_view import (GenerateTwoViews, PackTwoViewInputs, RandomGaussianBlur,
                       set_view_epoch)

__all__ = [
    'ParsingRandomFlip', 'LoadParsingAnnotations', 'LoadParsingImageFromFile',
    'LoadPersonParsingAnnotation', 'LoadMultiPersonAnnotations', 'PersonBBoxCenterScale',
    'PersonRandomFlip', 'PersonRandomScaleRotate', 'PersonAffine', 'PackMultiPersonParsingInputs',
    'LoadReIDPartMask', 'ReIDResize', 'ReIDRandomFlip', 'ReIDRandomPadCrop', 'ReIDRandomErasing',
    'PackReIDInputs', 'LoadPseudoLabels',
    'GenerateTwoViews', 'PackTwoViewInputs', 'RandomGaussianBlur', 'set_view_epoch'
]
from .color_mask_loading import LoadColorParsingAnnotations
from .label_set_conversion import ConvertLabelSet

__all__ += ['LoadColorParsingAnnotations', 'ConvertLabelSet']
