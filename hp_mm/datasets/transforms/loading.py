"""Loading transforms that fail loudly, naming the file and what was expected."""
from typing import Optional

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import LoadAnnotations

from hp_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadParsingImageFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` with an error that names the unreadable file.

    Required Keys: ``img_path``. Added Keys: ``img``, ``img_shape``, ``ori_shape``.

    mmcv asserts (``failed to load image``) or lets the decoder's error escape;
    here a missing file raises ``FileNotFoundError`` and undecodable bytes raise
    ``OSError``, both with the path.
    """

    def transform(self, results: dict) -> Optional[dict]:
        path = results['img_path']
        try:
            out = super().transform(results)
        except FileNotFoundError as e:
            raise FileNotFoundError(f'image file not found: {path}') from e
        except Exception as e:  # noqa: BLE001 (decoder errors have no common type)
            raise OSError(f'cannot decode image {path}: expected a readable '
                          f'JPEG/PNG image ({type(e).__name__}: {e})') from e
        if out is None or out.get('img') is None:
            raise OSError(f'cannot decode image {path}: expected a readable JPEG/PNG image')
        return out


@TRANSFORMS.register_module()
class LoadParsingAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` plus checks of the label map against the image.

    Required Keys: ``seg_map_path``, ``ori_shape`` (load the image first),
    ``num_classes`` (added by hp_mm's datasets). Added Keys: ``gt_seg_map``,
    ``seg_fields``.

    Raises:
        FileNotFoundError: the label file does not exist.
        ValueError: the label is not a single-channel index map, its size differs
            from the image's, or it holds a value outside ``[0, num_classes)``
            other than ``ignore_index``.
    """

    def __init__(self, ignore_index: int = 255, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ignore_index = ignore_index

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        try:
            super()._load_seg_map(results)
        except FileNotFoundError as e:
            raise FileNotFoundError(f'label file not found: {path}') from e
        except Exception as e:  # noqa: BLE001
            raise OSError(f'cannot decode label file {path}: expected an 8-bit index PNG '
                          f'({type(e).__name__}: {e})') from e
        self.check_label(results['gt_seg_map'], path, results.get('ori_shape'),
                         results.get('num_classes'), self.ignore_index)

    @staticmethod
    def check_label(seg: np.ndarray, path: str, img_shape=None, num_classes=None,
                    ignore_index: int = 255) -> None:
        """Validate a label map (H, W) against the image shape and the class count."""
        if seg.ndim != 2:
            raise ValueError(f'label file {path}: expected a single-channel index PNG '
                             f'(pixel = class id), got an array of shape {seg.shape}')
        if img_shape is not None and tuple(seg.shape) != tuple(img_shape[:2]):
            raise ValueError(f'label file {path}: size {seg.shape[1]}x{seg.shape[0]} (WxH) does '
                             f'not match its image, {img_shape[1]}x{img_shape[0]}')
        if num_classes is not None:
            bad = (seg >= num_classes) & (seg != ignore_index)
            if bad.any():
                values = np.unique(seg[bad]).tolist()
                raise ValueError(f'label file {path}: values {values[:10]} are outside the '
                                 f'{num_classes} classes [0, {num_classes - 1}] '
                                 f'(and not ignore_index={ignore_index})')
