"""Single-person (semantic) human parsing datasets on mmseg's ``BaseSegDataset``.

Each class keeps its dataset's real on-disk layout (see ``configs/_base_/datasets``)
and declares in ``METAINFO``: ``classes``, ``palette``, ``flip_pairs`` (label pairs a
horizontal flip swaps) and ``joint_groups`` (the SSL joints: ``(joint, (class, ...))``).
"""
from mmseg.datasets import BaseSegDataset
from mmseg.datasets import LIPDataset as MMSegLIPDataset

from hp_mm.registry import DATASETS
from .human_parsing_base import HumanParsingDatasetMixin

LIP_CLASSES = MMSegLIPDataset.METAINFO['classes']
LIP_PALETTE = MMSegLIPDataset.METAINFO['palette']
LIP_FLIP_PAIRS = ((14, 15), (16, 17), (18, 19))
# The 9 joints of LIP paper Sec. 4 (head, upper body, lower body, arms, legs, shoes).
LIP_JOINT_GROUPS = (
    ('head', ('Hat', 'Hair', 'Sunglasses', 'Face')),
    ('upper_body', ('UpperClothes', 'Coat', 'Scarf')),
    ('lower_body', ('Pants', 'Skirt')),
    ('right_arm', ('Right-arm', )),
    ('left_arm', ('Left-arm', )),
    ('right_leg', ('Right-leg', )),
    ('left_leg', ('Left-leg', )),
    ('right_shoe', ('Right-shoe', )),
    ('left_shoe', ('Left-shoe', )),
)


@DATASETS.register_module()
class LIPDataset(HumanParsingDatasetMixin, MMSegLIPDataset):
    """LIP (Look into Person), 20 labels, single person per image.

    Official layout (``data_root='data/LIP'``)::

        TrainVal_images/{train,val}_images/<id>.jpg
        TrainVal_images/{train,val}_id.txt
        TrainVal_parsing_annotations/{train,val}_segmentations/<id>.png

    Labels are 8-bit index PNGs. ``attribute_file`` (hp_mm sidecar, optional)
    gives the challenge attributes used by :class:`HumanParsingMetric`.
    """
    METAINFO = dict(
        classes=LIP_CLASSES, palette=LIP_PALETTE, flip_pairs=LIP_FLIP_PAIRS,
        joint_groups=LIP_JOINT_GROUPS)


@DATASETS.register_module()
class CIHPDataset(HumanParsingDatasetMixin, BaseSegDataset):
    """CIHP, semantic view (``Category_ids``): LIP's 20 labels except 10 = Torso-skin.

    Layout (``data_root='data/CIHP/instance-level_human_parsing'``)::

        {Training,Validation}/Images/<id>.jpg
        {Training,Validation}/Category_ids/<id>.png
        {Training,Validation}/{train,val}_id.txt
    """
    METAINFO = dict(
        classes=LIP_CLASSES[:10] + ('Torso-skin', ) + LIP_CLASSES[11:],
        palette=LIP_PALETTE, flip_pairs=LIP_FLIP_PAIRS,
        joint_groups=LIP_JOINT_GROUPS)

    def __init__(self, img_suffix='.jpg', seg_map_suffix='.png', **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)


@DATASETS.register_module()
class ATRDataset(HumanParsingDatasetMixin, BaseSegDataset):
    """ATR, 18 labels.

    Layout (``data_root='data/ATR/humanparsing'``)::

        JPEGImages/<id>.jpg
        SegmentationClassAug/<id>.png
        list/{train,val}_id.txt      (split lists, as Graphonomy; ATR has no official split)
    """
    METAINFO = dict(
        classes=('background', 'hat', 'hair', 'sunglass', 'upper-clothes', 'skirt', 'pants',
                 'dress', 'belt', 'left-shoe', 'right-shoe', 'face', 'left-leg', 'right-leg',
                 'left-arm', 'right-arm', 'bag', 'scarf'),
        palette=([0, 0, 0], [128, 0, 0], [255, 0, 0], [170, 0, 51], [255, 85, 0], [0, 128, 0],
                 [0, 85, 85], [0, 0, 85], [85, 51, 0], [255, 255, 0], [255, 170, 0], [0, 0, 255],
                 [85, 255, 170], [170, 255, 85], [51, 170, 221], [0, 255, 255], [85, 85, 0],
                 [52, 86, 128]),
        flip_pairs=((9, 10), (12, 13), (14, 15)),
        joint_groups=(
            ('head', ('hat', 'hair', 'sunglass', 'face')),
            ('upper_body', ('upper-clothes', 'scarf')),
            ('lower_body', ('pants', 'skirt')),
            ('right_arm', ('right-arm', )),
            ('left_arm', ('left-arm', )),
            ('right_leg', ('right-leg', )),
            ('left_leg', ('left-leg', )),
            ('right_shoe', ('right-shoe', )),
            ('left_shoe', ('left-shoe', )),
        ))

    def __init__(self, img_suffix='.jpg', seg_map_suffix='.png', **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)


@DATASETS.register_module()
class PascalPersonPartDataset(HumanParsingDatasetMixin, BaseSegDataset):
    """PASCAL-Person-Part, 7 labels, no left/right classes (so no flip pairs).

    Layout (``data_root='data/PASCAL-Person-Part'``, as Graphonomy)::

        JPEGImages/<id>.jpg
        SegmentationPart/<id>.png
        list/{train,val}_id.txt

    Joint groups (hp_mm's grouping for SSL; the paper gives none for this label
    set): head, torso, arms (upper + lower arms), legs (upper + lower legs).
    """
    METAINFO = dict(
        classes=('Background', 'Head', 'Torso', 'Upper Arms', 'Lower Arms', 'Upper Legs',
                 'Lower Legs'),
        palette=([0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128],
                 [0, 128, 128]),
        flip_pairs=(),
        joint_groups=(
            ('head', ('Head', )),
            ('torso', ('Torso', )),
            ('arms', ('Upper Arms', 'Lower Arms')),
            ('legs', ('Upper Legs', 'Lower Legs')),
        ))

    def __init__(self, img_suffix='.jpg', seg_map_suffix='.png', **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
