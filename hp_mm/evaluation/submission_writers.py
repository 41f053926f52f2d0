"""Test-server submission files of the parsing metrics (``format_only`` / ``output_dir``).

- LIP (single person): ``<output_dir>/<stem>.png``, the predicted label map as an
  8-bit index PNG (pixel = class), the layout of the LIP challenge submission and
  of ``TrainVal_parsing_annotations/val_segmentations``.
- CIHP (multi person), under ``<output_dir>``: ``Category_ids/<stem>.png`` (the
  semantic map), ``Human_ids/<stem>.png`` (person ids 1..K, 0 = none),
  ``Instance_ids/<stem>.png`` (instance-part ids 1..R) and
  ``Instance_ids/<stem>.txt`` (lines ``instance_part_id class_id human_id``): the
  ``instance-level_human_parsing/<split>/`` sub-folders, so
  :class:`hp_mm.datasets.CIHPInstanceDataset` reads a submission back.

PNGs are 8-bit, 16-bit where an id exceeds 255 (``cv2`` writes both).
"""
import os.path as osp
from typing import Dict, Sequence

import cv2
import numpy as np
from mmengine.utils import mkdir_or_exist

from hp_mm.structures import as_label_map

#: CIHP sub-folders written by :func:`write_cihp_prediction`.
CIHP_PREDICTION_DIRS = ('Category_ids', 'Human_ids', 'Instance_ids')


def write_label_png(path: str, array) -> str:
    """Write an (H, W) integer map as an index PNG (8-bit, 16-bit beyond 255).

    Args:
        path (str): Output file; its folder is created.
        array (ndarray | Tensor): (H, W) non-negative integers <= 65535.

    Returns:
        str: ``path``.
    """
    array = as_label_map(array, path)
    top = int(array.max(initial=0))
    if int(array.min(initial=0)) < 0 or top > 65535:
        raise ValueError(f'{path}: labels must lie in [0, 65535] for a PNG, got '
                         f'[{int(array.min(initial=0))}, {top}]')
    mkdir_or_exist(osp.dirname(osp.abspath(path)))
    if not cv2.imwrite(path, array.astype(np.uint8 if top <= 255 else np.uint16)):
        raise OSError(f'cannot write {path}')
    return path


def write_lip_prediction(output_dir: str, name: str, sem_seg) -> str:
    """``<output_dir>/<name>.png``: a LIP-style label map."""
    return write_label_png(osp.join(output_dir, f'{name}.png'), sem_seg)


def write_cihp_prediction(output_dir: str, name: str, sem_seg, human_ids, instance_ids,
                          regions: Sequence[tuple]) -> Dict[str, str]:
    """One image of a CIHP submission (see the module docstring).

    Args:
        output_dir (str): Root of the submission.
        name (str): Image stem.
        sem_seg (ndarray | Tensor): (H, W) category map.
        human_ids (ndarray): (H, W) person ids.
        instance_ids (ndarray): (H, W) instance-part ids.
        regions (Sequence[tuple]): ``(instance_part_id, class_id, human_id, ...)``
            per region, as :func:`hp_mm.structures.person_instance_maps` returns.

    Returns:
        dict[str, str]: Paths by kind (``category``, ``human``, ``instance``,
        ``instance_txt``).
    """
    paths = dict(category=osp.join(output_dir, 'Category_ids', f'{name}.png'),
                 human=osp.join(output_dir, 'Human_ids', f'{name}.png'),
                 instance=osp.join(output_dir, 'Instance_ids', f'{name}.png'),
                 instance_txt=osp.join(output_dir, 'Instance_ids', f'{name}.txt'))
    write_label_png(paths['category'], sem_seg)
    write_label_png(paths['human'], human_ids)
    write_label_png(paths['instance'], instance_ids)
    with open(paths['instance_txt'], 'w') as f:
        for region in regions:
            f.write(f'{int(region[0])} {int(region[1])} {int(region[2])}\n')
    return paths
