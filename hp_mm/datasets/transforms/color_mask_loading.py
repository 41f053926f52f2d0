"""Loading of label maps painted as colour masks (CVAT's "Segmentation mask 1.1" export)."""
import mmcv
import numpy as np
from mmengine.fileio import get

from hp_mm.registry import TRANSFORMS
from ..color_masks import color_mask_to_labels
from ..label_io import check_label_map
from .loading import LoadParsingAnnotations


@TRANSFORMS.register_module()
class LoadColorParsingAnnotations(LoadParsingAnnotations):
    """:class:`LoadParsingAnnotations` that also reads colour masks.

    A sample with ``color_palette`` (added by :class:`CustomParsingDataset` from
    a CVAT ``labelmap.txt``) has an RGB mask: each pixel's colour is looked up
    in the palette (colour ``palette[c]`` is class ``c``). A sample without it
    is an index mask, read exactly as :class:`LoadParsingAnnotations` reads it,
    so one pipeline serves both kinds of dataset.

    The mapping runs here, per sample, rather than in the dataset: the dataset
    lists files without opening them (start-up stays instant on large sets),
    the label map then goes through the same checks and augmentations as an
    index mask, and nothing is written next to the user's data.

    Required Keys: ``seg_map_path``, ``ori_shape`` (load the image first),
    ``num_classes``, ``color_palette`` (optional, (C, 3) RGB).
    Added Keys: ``gt_seg_map`` (H, W) uint8, ``seg_fields``.

    Raises:
        FileNotFoundError: the mask does not exist.
        OSError: the mask cannot be decoded.
        ValueError: a colour that is not in the palette (the file, the colour
            and its pixel count are named), a size that differs from the
            image's, or ``label_map`` / ``reduce_zero_label`` set on a colour
            dataset (list the classes in ``labelmap.txt`` instead).
    """

    def _load_seg_map(self, results: dict) -> None:
        palette = results.get('color_palette')
        if palette is None:
            super()._load_seg_map(results)
            return
        path = results['seg_map_path']
        if results.get('label_map') or results.get('reduce_zero_label'):
            raise ValueError(f'{type(self).__name__}: {path}: label_map / reduce_zero_label do '
                             'not apply to colour masks; list the classes in labelmap.txt')
        try:
            data = get(path, backend_args=self.backend_args)
        except FileNotFoundError as e:
            raise FileNotFoundError(f'label file not found: {path}') from e
        try:
            rgb = mmcv.imfrombytes(data, flag='color', channel_order='rgb', backend='pillow')
        except Exception as e:  # noqa: BLE001 (decoder errors have no common type)
            raise OSError(f'cannot decode colour mask {path}: expected an RGB PNG '
                          f'({type(e).__name__}: {e})') from e
        labels = color_mask_to_labels(np.asarray(rgb), palette, path)
        check_label_map(labels, path, results.get('ori_shape'), results.get('num_classes'),
                        self.ignore_index)
        results['gt_seg_map'] = labels
        results['seg_fields'].append('gt_seg_map')
