"""Your own parsing data: images + masks (index or colour PNGs) + a class file."""
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.fileio import exists
from mmseg.datasets import BaseSegDataset

from hp_mm.registry import DATASETS
from .class_list import load_class_list
from .human_parsing_base import HumanParsingDatasetMixin
from .multi_human_parsing_datasets import _voc_palette


@DATASETS.register_module()
class CustomParsingDataset(HumanParsingDatasetMixin, BaseSegDataset):
    """A folder of images and their label masks, with the classes in a file.

    Two kinds of data are read as they are:

    (a) index masks: single-channel PNGs whose pixel value is the class index,
        and a class list (one name per line, see
        :mod:`hp_mm.datasets.class_list`)::

            data_root/classes.txt
            data_root/images/<id>.jpg
            data_root/masks/<id>.png
            data_root/{train,val}.txt          (id lists; optional)

    (b) colour masks as CVAT's "Segmentation mask 1.1" export writes them, with
        the classes and their colours in ``labelmap.txt``::

            data_root/labelmap.txt
            data_root/JPEGImages/<id>.jpg
            data_root/SegmentationClass/<id>.png
            data_root/ImageSets/Segmentation/<subset>.txt

        (``data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass')``).
        Every sample then carries the palette as ``color_palette`` and
        :class:`LoadColorParsingAnnotations` maps the colours to classes as it
        loads the mask (an unknown colour is an error naming the file, the
        colour and its pixel count).

    LabelMe polygons (c) are converted to (a) by
    ``tools/dataset_converters/labelme2parsing.py``.

    ``METAINFO`` comes from the class file: ``classes``, ``palette`` (the
    labelmap's colours, else the PASCAL VOC colour map) and ``flip_pairs``
    (declared with ``<->`` or derived from ``left-``/``right-`` names), so the
    flip augmentation, the flip test and the metric read them as they read
    LIP's.

    Args:
        classes_file (str): Class list or CVAT ``labelmap.txt``; relative paths
            are joined with ``data_root``.
        num_classes (int, optional): The number of classes the model is built
            for (``decode_head.num_classes``); a class file with a different
            count is an error at start-up. Defaults to None (not checked).
        flip_pairs (Sequence[Sequence[str | int]], optional): Left/right pairs
            (class names or labels) instead of those of the class file.
        color_masks (bool, optional): Whether the masks are colour PNGs.
            Defaults to None: True for a CVAT labelmap, False for a class list.
        img_suffix (str): Image suffix. Defaults to ``'.jpg'``.
        seg_map_suffix (str): Mask suffix. Defaults to ``'.png'``.
        data_prefix (dict): Image and mask folders under ``data_root``.
            Defaults to ``dict(img_path='images', seg_map_path='masks')``.
        **kwargs: ``BaseSegDataset`` / :class:`HumanParsingDatasetMixin`
            arguments (``data_root``, ``ann_file`` (an id list; all images of
            the folder when empty), ``pipeline``, ``check_files``, ...).
    """
    METAINFO: dict = dict()

    def __init__(self,
                 classes_file: str,
                 num_classes: Optional[int] = None,
                 flip_pairs: Optional[Sequence[Sequence]] = None,
                 color_masks: Optional[bool] = None,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 data_prefix: dict = dict(img_path='images', seg_map_path='masks'),
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        data_root = kwargs.get('data_root') or ''
        path = classes_file if osp.isabs(classes_file) else osp.join(data_root, classes_file)
        class_list = load_class_list(path, backend_args=kwargs.get('backend_args'))
        classes = class_list.classes
        if num_classes is not None and num_classes != len(classes):
            raise ValueError(f'{path} lists {len(classes)} classes but num_classes is '
                             f'{num_classes}: make the model\'s decode_head.num_classes and the '
                             'class file agree')
        self.color_masks = class_list.is_labelmap if color_masks is None else bool(color_masks)
        self.mask_palette = class_list.palette if self.color_masks else None
        if self.color_masks and class_list.palette is None:
            raise ValueError(f'color_masks=True needs a CVAT labelmap.txt with the colours '
                             f'("name:r,g,b::" lines), but {path} is a plain class list')
        if metainfo and 'classes' in metainfo:
            raise ValueError(f'{type(self).__name__}: give the classes in classes_file '
                             f'({path}), not in metainfo')
        pairs = class_list.flip_pairs if flip_pairs is None else \
            self._pairs_from(flip_pairs, classes, path)
        palette = class_list.palette or _voc_palette(len(classes))
        meta = dict(classes=classes, palette=[list(c) for c in palette],
                    flip_pairs=tuple(tuple(p) for p in pairs))
        meta.update(metainfo or {})
        self.classes_file = path
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=data_prefix, metainfo=meta, **kwargs)

    @staticmethod
    def _pairs_from(pairs: Sequence[Sequence], classes: Sequence[str], path: str) -> list:
        """(left, right) labels from pairs of names or labels."""
        out = []
        for pair in pairs:
            if len(pair) != 2:
                raise ValueError(f'flip_pairs: expected (left, right) pairs, got {pair!r}')
            labels = []
            for c in pair:
                if isinstance(c, str):
                    if c not in classes:
                        raise ValueError(f'flip_pairs: {c!r} is not a class of {path}')
                    c = classes.index(c)
                if not 0 <= int(c) < len(classes):
                    raise ValueError(f'flip_pairs: label {c} is outside the {len(classes)} '
                                     f'classes of {path}')
                labels.append(int(c))
            out.append(tuple(labels))
        return out

    def load_data_list(self) -> List[dict]:
        """Image/mask pairs (id list or folder scan); colour datasets add ``color_palette``."""
        if self.ann_file and not exists(self.ann_file, backend_args=self.backend_args):
            raise FileNotFoundError(f'{type(self).__name__}: ann_file (an id list, one image '
                                    f'name without suffix per line) not found: {self.ann_file}')
        img_dir = self.data_prefix.get('img_path')
        if not self.ann_file and not (img_dir and exists(img_dir, backend_args=self.backend_args)):
            raise FileNotFoundError(f'{type(self).__name__}: image folder not found: {img_dir}')
        data_list = super().load_data_list()
        if not data_list:
            raise FileNotFoundError(
                f'{type(self).__name__}: no image (*{self.img_suffix}) '
                f'{"listed in " + self.ann_file if self.ann_file else "under " + img_dir}')
        if self.color_masks:
            palette = tuple(tuple(int(v) for v in c) for c in self.mask_palette)
            for info in data_list:
                info['color_palette'] = palette
        return data_list
