"""Conversion of label maps between the label sets of the human parsing datasets.

The mapping is read from one table, :data:`hp_mm.datasets.label_set_table.LABEL_SET_TABLE`
(its module documents every choice); this module only looks it up.

Example:
    >>> from hp_mm.datasets import convert_label_set
    >>> lip = np.array([[13, 9], [10, 255]], np.uint8)  # Face, Pants, Jumpsuits, ignore
    >>> convert_label_set(lip, 'lip', 'atr')
    array([[ 11,   6],
           [  4, 255]], dtype=uint8)
"""
from functools import lru_cache
from typing import Dict, Tuple

import numpy as np

from .label_set_table import LABEL_SET_COLUMNS, LABEL_SET_TABLE

#: The label-set names :func:`convert_label_set` accepts.
LABEL_SETS = LABEL_SET_COLUMNS
IGNORE_LABEL = 255


def _normalise(name: str) -> str:
    key = str(name).strip().lower().replace('_', '-')
    if key not in LABEL_SETS:
        raise ValueError(f'unknown label set {name!r}; expected one of {LABEL_SETS}')
    return key


def _dataset_metainfo(name: str) -> dict:
    """``METAINFO`` of the dataset class whose classes are label set ``name``."""
    # imported here: the dataset modules may use the label sets themselves
    from .atr_merged_dataset import ATRMergedDataset
    from .human_parsing_datasets import (ATRDataset, CIHPDataset, LIPDataset,
                                         PascalPersonPartDataset)
    from .multi_human_parsing_datasets import MHPv2InstanceDataset
    return dict(lip=LIPDataset, cihp=CIHPDataset, atr=ATRDataset,
                **{'pascal-person-part': PascalPersonPartDataset, 'mhp-v2': MHPv2InstanceDataset,
                   'upper-lower': ATRMergedDataset})[name].METAINFO


def label_set_metainfo(name: str) -> dict:
    """``classes``, ``palette`` and ``flip_pairs`` of a label set.

    Args:
        name (str): One of :data:`LABEL_SETS` (``_`` and ``-`` are the same,
            case is ignored).

    Returns:
        dict: Copies of the dataset class's ``METAINFO`` entries.
    """
    meta = _dataset_metainfo(_normalise(name))
    return dict(classes=tuple(meta['classes']), palette=[list(c) for c in meta['palette']],
                flip_pairs=tuple(tuple(p) for p in meta.get('flip_pairs', ())))


@lru_cache(maxsize=None)
def _parts() -> Tuple[Dict[str, Dict[str, str]], Dict[str, Dict[str, int]], Dict[str, tuple]]:
    """The table, checked: set -> {class: part}, part -> {set: label}, part -> substitutes.

    Raises:
        ValueError: a row of the wrong length, a part listed twice, a class
            missing from or repeated in its column, a class name that its
            dataset does not have, or a substitute that is not a part.
    """
    width = 1 + len(LABEL_SETS) + 1
    part_of = {s: {} for s in LABEL_SETS}
    label_of: Dict[str, Dict[str, int]] = {}
    substitutes: Dict[str, tuple] = {}
    classes = {s: tuple(_dataset_metainfo(s)['classes']) for s in LABEL_SETS}
    for row in LABEL_SET_TABLE:
        if len(row) != width:
            raise ValueError(f'label-set table row {row!r}: expected {width} entries (part, '
                             f'{", ".join(LABEL_SETS)}, substitutes)')
        part, cells, subs = row[0], row[1:-1], tuple(row[-1])
        if part in label_of:
            raise ValueError(f'label-set table: part {part!r} has two rows')
        label_of[part], substitutes[part] = {}, subs
        for s, name in zip(LABEL_SETS, cells):
            if name is None:
                continue
            if name not in classes[s]:
                raise ValueError(f'label-set table, part {part!r}: {s} has no class {name!r} '
                                 f'(its classes: {classes[s]})')
            if name in part_of[s]:
                raise ValueError(f'label-set table: {s} class {name!r} is in the rows of '
                                 f'{part_of[s][name]!r} and {part!r}')
            part_of[s][name] = part
            label_of[part][s] = classes[s].index(name)
    for s in LABEL_SETS:
        missing = [c for c in classes[s] if c not in part_of[s]]
        if missing:
            raise ValueError(f'label-set table: {s} classes {missing} have no row')
    for part, subs in substitutes.items():
        unknown = [p for p in subs if p not in label_of]
        if unknown:
            raise ValueError(f'label-set table: substitutes {unknown} of {part!r} are not parts')
    return part_of, label_of, substitutes


@lru_cache(maxsize=None)
def label_set_lut(src: str, dst: str) -> np.ndarray:
    """Look-up table from the labels of ``src`` to those of ``dst``.

    Entry ``c`` is the ``dst`` label of ``src`` class ``c``: the class of the
    same part, else of the part's first substitute that ``dst`` has, else 255.

    Args:
        src (str): Source label set (:data:`LABEL_SETS`).
        dst (str): Target label set.

    Returns:
        np.ndarray: (256,) uint8; entries ``c >= len(src classes)`` are 255
        (entry 255 maps ignore to ignore). Read-only.
    """
    src, dst = _normalise(src), _normalise(dst)
    part_of, label_of, substitutes = _parts()
    src_classes = _dataset_metainfo(src)['classes']
    lut = np.full(256, IGNORE_LABEL, np.uint8)
    for c, name in enumerate(src_classes):
        part = part_of[src][name]
        for candidate in (part, ) + substitutes[part]:
            if dst in label_of[candidate]:
                lut[c] = label_of[candidate][dst]
                break
    lut.flags.writeable = False
    return lut


def convert_label_set(label_map: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Convert a label map from label set ``src`` to label set ``dst``.

    Label sets: ``'lip'``, ``'cihp'``, ``'atr'``, ``'pascal-person-part'``,
    ``'mhp-v2'`` and ``'upper-lower'`` (background / upper body / lower body,
    the C2L merge). Classes with one meaning in both sets map to each other;
    the others follow the documented choices of
    :mod:`hp_mm.datasets.label_set_table` or become 255. 255 stays 255.

    Args:
        label_map (np.ndarray): Integer labels of ``src``, any shape (e.g.
            (H, W)); values in ``[0, C_src)`` or 255.
        src (str): Label set of ``label_map``.
        dst (str): Label set to convert to.

    Returns:
        np.ndarray: A new array of the same shape and dtype, labels of ``dst``
        (or 255).

    Raises:
        TypeError: ``label_map`` is not an integer array.
        ValueError: an unknown label set, or values that are neither a
            ``src`` class nor 255 (the message lists them).
    """
    labels = np.asarray(label_map)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f'convert_label_set: expected an integer label map, got dtype '
                        f'{labels.dtype}')
    lut = label_set_lut(src, dst)
    num_src = len(_dataset_metainfo(_normalise(src))['classes'])
    if labels.size:
        valid = (labels >= 0) & ((labels < num_src) | (labels == IGNORE_LABEL))
        if not valid.all():
            bad = np.unique(labels[~valid])
            raise ValueError(f'convert_label_set: values {bad[:10].tolist()} are not {src} '
                             f'labels (0..{num_src - 1}) nor {IGNORE_LABEL} (ignore)')
    return lut[labels].astype(labels.dtype, copy=False)
