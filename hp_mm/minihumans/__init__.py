"""MiniHumans: a seeded, deterministic generator of synthetic people.

It draws articulated people (:mod:`.body`) wearing sampled outfits
(:mod:`.appearance`) over cluttered backgrounds (:mod:`.textures`), painting
the image and the label maps together (:mod:`.render`) so labels match the
pixels exactly, lays them out as single-person crops, multi-person scenes or
re-ID boxes (:mod:`.scenes`), and writes the on-disk layouts of LIP, ATR,
PASCAL-Person-Part, CIHP, MHP-v2, Market-1501 and COCO person boxes
(:mod:`.writers`), with a dataset card (:mod:`.card`). An optional photo
style (:mod:`.photo_style`) gives the same people patterned clothes in
front of out-of-focus backgrounds.

It needs numpy and OpenCV; class names come from the hp_mm dataset classes'
``METAINFO`` (:mod:`.labels`), so it imports :mod:`hp_mm.datasets` (and mmseg).

Example:
    >>> from hp_mm.minihumans import generate_dataset
    >>> card = generate_dataset('lip', 'data/minihumans/LIP', 600, 100,
    ...                         seed=0, workers=2)
"""
from .api import render_scene, render_single_person
from .card import build_card, format_card, image_record, tight_box_size
from .generate import generate_dataset
from .labels import (ATR_CLASSES, CIHP_CLASSES, LIP_CLASSES, MHP_V2_CLASSES,
                     PASCAL_PART_CLASSES)
from .photo_style import PhotoStyle
from .writers import VAL_OFFSET, WRITERS

FORMATS = tuple(WRITERS)

__all__ = [
    'generate_dataset', 'render_single_person', 'render_scene', 'build_card',
    'format_card', 'image_record', 'tight_box_size', 'FORMATS', 'VAL_OFFSET',
    'PhotoStyle',
    'LIP_CLASSES', 'ATR_CLASSES', 'CIHP_CLASSES', 'MHP_V2_CLASSES',
    'PASCAL_PART_CLASSES'
]
