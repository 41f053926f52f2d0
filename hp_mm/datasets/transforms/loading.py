"""Loading transforms that fail loudly, naming the file and what was expected."""
from typing import Optional

from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import LoadAnnotations

from hp_mm.registry import TRANSFORMS
from ..label_io import check_label_map


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
        check_label_map(results['gt_seg_map'], path, results.get('ori_shape'),
                        results.get('num_classes'), self.ignore_index)
