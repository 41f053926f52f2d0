"""Pure confusion-matrix arithmetic for single-person human parsing (LIP protocol).

Only torch and numpy are used here (no registry, no mmengine), so that a metric, a head
or a test can call these functions alone.

Note:
    C: number of classes (background included).
    H, W: height and width of a label map.
    P: number of (left, right) flip pairs.

Conventions follow mmseg's ``IoUMetric`` (``mmseg/evaluation/metrics/iou_metric.py``):

- ``confusion[i, j]`` counts the pixels whose ground truth is ``i`` and prediction is
  ``j``; ground-truth pixels equal to ``ignore_index`` are dropped.
- ``aAcc = sum_i n_ii / sum_i t_i``, ``Acc_i = n_ii / t_i`` and
  ``IoU_i = n_ii / (t_i + sum_j n_ji - n_ii)`` with ``t_i = sum_j n_ij`` (LIP paper,
  Sec. 4: pixel accuracy, mean accuracy, mean IoU).
- A class with a zero denominator gets NaN and is left out of the mean (``np.nanmean``).
- Reported numbers are percentages; means are taken on the unrounded values, then
  everything is rounded to 2 decimals.
"""
import warnings
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch

from hp_mm.structures.array_like import ArrayLike, to_numpy, to_tensor

from .confusion import iou_from_confusion, rectangular_confusion_matrix

#: Person-size thresholds in pixels (LIP paper, Table 6 middle, following MS COCO):
#: small ``area < 153**2``, medium ``153**2 <= area < 321**2``, large ``area >= 321**2``.
SMALL_SIZE = 153
MEDIUM_SIZE = 321
SIZE_BINS = ('small', 'medium', 'large')


def confusion_matrix(pred: ArrayLike,
                     gt: ArrayLike,
                     num_classes: int,
                     ignore_index: Optional[int] = 255) -> torch.Tensor:
    """Square confusion matrix of one label map, its ``ignore_index`` pixels dropped.

    :func:`~.confusion.rectangular_confusion_matrix` (one ``torch.bincount`` on
    ``pred``'s device) over the pixels whose ``gt`` is not ``ignore_index``.

    Args:
        pred (Tensor | ndarray): Predicted class indices, shape (H, W) (any shape
            equal to ``gt``'s works).
        gt (Tensor | ndarray): Ground-truth class indices, same shape as ``pred``.
        num_classes (int): C, the number of classes.
        ignore_index (int, optional): Ground-truth value whose pixels are dropped
            (and where ``pred`` is not checked). None keeps every pixel.
            Defaults to 255.

    Returns:
        Tensor: int64 confusion matrix, shape (C, C), rows = ground truth,
        columns = prediction, on ``pred``'s device.

    Raises:
        ValueError: if the shapes differ, or a kept ``gt`` pixel or the ``pred`` value
            at a kept pixel is outside ``[0, C)``. A prediction equal to
            ``ignore_index`` on a kept pixel is an error too: a (C, C) matrix cannot
            count an unpredicted pixel, and dropping it would inflate the scores
            (mmseg's ``IoUMetric`` counts it as a miss of the gt class).
        TypeError: if an input is not an integer tensor/array.
    """
    pred = to_tensor(pred, 'pred', integer=True)
    gt = to_tensor(gt, 'gt', integer=True)
    counted = None if ignore_index is None else gt != ignore_index
    return rectangular_confusion_matrix(pred, gt, num_classes, counted=counted)


def _square_confusion(confusion: ArrayLike) -> np.ndarray:
    """The (C, C) counts as an int64 ndarray; raises for any other shape."""
    confusion = to_numpy(confusion, 'confusion')
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f'confusion must be a square (C, C) matrix, got shape {confusion.shape}')
    return confusion.astype(np.int64, copy=False)


def _nanmean(x: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # all-NaN -> NaN, silently
        return float(np.nanmean(x)) if x.size else float('nan')


def _round(x, decimals: Optional[int]):
    return x if decimals is None else np.round(x, decimals)


def parsing_scores(confusion: ArrayLike, decimals: Optional[int] = 2) -> Dict[str, object]:
    """Pixel accuracy, mean accuracy and mean IoU from a confusion matrix.

    With ``n_ij`` the pixels of gt class i predicted j and ``t_i = sum_j n_ij``
    (LIP paper, Sec. 4; mmseg ``IoUMetric.total_area_to_metrics``):

    - ``aAcc = sum_i n_ii / sum_i t_i``
    - ``Acc_i = n_ii / t_i``, ``mAcc = nanmean_i Acc_i``
    - ``IoU_i = n_ii / (t_i + sum_j n_ji - n_ii)``, ``mIoU = nanmean_i IoU_i``

    A zero denominator gives NaN (a class absent from both gt and prediction has a
    NaN IoU; a class absent from gt has a NaN accuracy), left out of the means.

    Args:
        confusion (Tensor | ndarray): Counts, shape (C, C), rows = ground truth.
        decimals (int, optional): Rounding of the percentages, as ``IoUMetric``
            (means are taken before rounding). None keeps full precision.
            Defaults to 2.

    Returns:
        dict: ``aAcc``, ``mAcc``, ``mIoU`` (float, percent) and ``Acc``, ``IoU``
        (ndarray of float64, shape (C,), percent).
    """
    conf = _square_confusion(confusion)
    tp = np.diag(conf).astype(np.float64)
    gt_area = conf.sum(axis=1).astype(np.float64)
    iou = iou_from_confusion(conf)
    with np.errstate(divide='ignore', invalid='ignore'):
        acc = tp / gt_area
        a_acc = tp.sum() / gt_area.sum() if gt_area.sum() > 0 else float('nan')
    return dict(
        aAcc=float(_round(a_acc * 100, decimals)),
        mAcc=float(_round(_nanmean(acc) * 100, decimals)),
        mIoU=float(_round(_nanmean(iou) * 100, decimals)),
        Acc=_round(acc * 100, decimals),
        IoU=_round(iou * 100, decimals))


def mirror_confusion(confusion: ArrayLike,
                     flip_pairs: Sequence[Tuple[int, int]],
                     decimals: Optional[int] = 2) -> Dict[str, object]:
    """Left/right confusion: how often a part is taken for its mirror part.

    For a pair (l, r): ``(n_lr + n_rl) / (t_l + t_r)``; over all pairs:
    ``sum_pairs (n_lr + n_rl) / sum_pairs (t_l + t_r)`` (``t_i`` = gt pixels of class
    i). NaN when the pair(s) have no gt pixel.

    Args:
        confusion (Tensor | ndarray): Counts, shape (C, C), rows = ground truth.
        flip_pairs (Sequence[tuple[int, int]]): P (left, right) class indices.
        decimals (int, optional): Rounding of the percentages. Defaults to 2.

    Returns:
        dict: ``overall`` (float, percent) and ``pairs`` (dict mapping each
        ``(l, r)`` tuple to its percentage).
    """
    conf = _square_confusion(confusion)
    num_classes = conf.shape[0]
    gt_area = conf.sum(axis=1)
    pairs = {}
    num_total = den_total = 0
    for pair in flip_pairs:
        if len(pair) != 2:
            raise ValueError(f'flip_pairs must hold (left, right) pairs, got {pair!r}')
        left, right = int(pair[0]), int(pair[1])
        if not (0 <= left < num_classes and 0 <= right < num_classes) or left == right:
            raise ValueError(f'flip_pairs entry {pair!r} is not two distinct class indices '
                             f'in [0, {num_classes})')
        num = int(conf[left, right] + conf[right, left])
        den = int(gt_area[left] + gt_area[right])
        pairs[(left, right)] = float(_round(100.0 * num / den, decimals)) if den else float('nan')
        num_total += num
        den_total += den
    overall = float(_round(100.0 * num_total / den_total, decimals)) if den_total else float('nan')
    return dict(overall=overall, pairs=pairs)


def person_bbox(gt: ArrayLike,
                ignore_index: Optional[int] = 255,
                background: int = 0) -> Optional[Tuple[int, int, int, int]]:
    """Tight box of the person pixels (not background, not ignored) of a label map.

    Args:
        gt (Tensor | ndarray): Ground-truth class indices, shape (H, W).
        ignore_index (int, optional): Value that is not a person pixel. Defaults to 255.
        background (int): Background class. Defaults to 0.

    Returns:
        tuple[int, int, int, int] | None: ``(x1, y1, x2, y2)``, inclusive pixel
        coordinates, or None if there is no person pixel.
    """
    gt = to_tensor(gt, 'gt', integer=True)
    if gt.dim() != 2:
        raise ValueError(f'gt must be a (H, W) label map, got shape {tuple(gt.shape)}')
    if gt.numel() == 0:
        return None
    person = gt.ne(background)
    if ignore_index is not None:
        person.logical_and_(gt.ne(ignore_index))
    # max over a uint8 view: a vectorised any() along each axis
    person = person.view(torch.uint8)
    rows = torch.nonzero(person.amax(dim=1)).flatten()
    if rows.numel() == 0:
        return None
    cols = torch.nonzero(person.amax(dim=0)).flatten()
    return int(cols[0]), int(rows[0]), int(cols[-1]), int(rows[-1])


def size_bin(area: int) -> str:
    """LIP size bin of a box area in pixels (LIP paper, Table 6 middle).

    Args:
        area (int): Box area, in pixels.

    Returns:
        str: ``'small'`` if ``area < 153**2``, ``'medium'`` if ``area < 321**2``,
        else ``'large'``.
    """
    if area < SMALL_SIZE**2:
        return 'small'
    if area < MEDIUM_SIZE**2:
        return 'medium'
    return 'large'


def person_size_bin(gt: ArrayLike, ignore_index: Optional[int] = 255, background: int = 0) -> str:
    """Size bin of the person in a single-person label map.

    The size is ``sqrt(area)`` of the tight box around the non-background,
    non-ignored gt pixels: small below 153, medium below 321, else large.

    Args:
        gt (Tensor | ndarray): Ground-truth class indices, shape (H, W).
        ignore_index (int, optional): Value that is not a person pixel. Defaults to 255.
        background (int): Background class. Defaults to 0.

    Returns:
        str: ``'small'``, ``'medium'``, ``'large'``, or ``'none'`` if no person pixel.
    """
    box = person_bbox(gt, ignore_index=ignore_index, background=background)
    if box is None:
        return 'none'
    x1, y1, x2, y2 = box
    return size_bin((x2 - x1 + 1) * (y2 - y1 + 1))
