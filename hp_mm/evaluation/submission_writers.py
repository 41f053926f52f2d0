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

The Inferencers' other files are written here too: drawings next to their image
(:func:`write_side_by_side`), per-image JSON (:func:`write_json`), re-ID
features (:func:`write_reid_features`) and rankings (:func:`write_reid_ranking`).
"""
import json
import os.path as osp
from typing import Dict, Mapping, Sequence

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


def write_side_by_side(path: str, image: np.ndarray, drawing: np.ndarray) -> str:
    """Write an image and its drawing side by side (``image | drawing``, BGR (H, W, 3) each).

    Returns:
        str: ``path`` (its folder is created).
    """
    if image.shape != drawing.shape:
        raise ValueError(f'{path}: the image is {image.shape} but the drawing {drawing.shape}')
    mkdir_or_exist(osp.dirname(osp.abspath(path)))
    if not cv2.imwrite(path, np.concatenate([image, drawing], axis=1)):
        raise OSError(f'cannot write {path}')
    return path


def write_json(path: str, content) -> str:
    """Write plain Python ``content`` as indented JSON; returns ``path`` (folder created)."""
    mkdir_or_exist(osp.dirname(osp.abspath(path)))
    with open(path, 'w') as f:
        json.dump(content, f, indent=1)
    return path


def write_reid_features(path: str, names: Sequence[str],
                        features: Mapping[str, np.ndarray]) -> str:
    """Write re-ID features and their image names to an ``.npz`` file.

    Args:
        path (str): The ``.npz`` file (folder created).
        names (Sequence[str]): The N image names (key ``names``).
        features (Mapping[str, ndarray]): Stacked fields, each (N, ...),
            e.g. ``pred_feature`` (N, C).

    Returns:
        str: ``path``.
    """
    for key, value in features.items():
        if len(value) != len(names):
            raise ValueError(f'{path}: {key} has {len(value)} rows for {len(names)} names')
    mkdir_or_exist(osp.dirname(osp.abspath(path)))
    np.savez(path, names=np.asarray(list(names)), **features)
    return path


def write_reid_ranking(path: str, distance: str, query_names: Sequence[str],
                       gallery_names: Sequence[str], indices: np.ndarray,
                       distances: np.ndarray) -> str:
    """Write each query's ranked gallery images as JSON.

    The file holds ``distance`` and ``ranking``: per query name, a list of
    ``{'gallery': name, 'distance': d}``, nearest first.

    Args:
        path (str): The JSON file.
        distance (str): Name of the distance.
        query_names, gallery_names (Sequence[str]): Nq and Ng names.
        indices (ndarray): (Nq, k) gallery indices per query.
        distances (ndarray): (Nq, k) their distances.

    Returns:
        str: ``path``.
    """
    ranking = {q: [dict(gallery=gallery_names[int(j)], distance=float(d))
                   for j, d in zip(row, drow)]
               for q, row, drow in zip(query_names, indices, distances)}
    return write_json(path, dict(distance=distance, ranking=ranking))
