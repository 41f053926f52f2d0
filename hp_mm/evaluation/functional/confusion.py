"""The confusion matrix and the IoU read from it: one home for every parsing metric.

Pure torch (numpy / tensors in); every metric of hp_mm counts with
:func:`rectangular_confusion_matrix` and scores with :func:`iou_from_confusion`:
single-person parsing (:func:`~.parsing_confusion.confusion_matrix`), the
multi-person semantic mIoU, the unsupervised class-by-cluster histogram, ISP's
part groups and the linear probe.

Note:
    N: ground-truth classes (rows). M: predicted classes or clusters (columns).
    S: any shape of a label map (H, W), (B, H, W) or flat.

Conventions follow mmseg's ``IoUMetric`` (``mmseg/evaluation/metrics/iou_metric.py``):
``confusion[i, j]`` counts the pixels whose ground truth is ``i`` and prediction is
``j``, and ``IoU_i = n_ii / (t_i + p_i - n_ii)`` with ``t_i = sum_j n_ij`` (ground-truth
pixels of class i) and ``p_i = sum_j n_ji`` (pixels predicted i).
"""
from typing import Optional

import torch
from torch import Tensor

from hp_mm.structures.array_like import ArrayLike, as_container_of, to_tensor

_MAX_SHOWN = 10  # offending values listed in an error message


def _check_range(x: Tensor, counted: Optional[Tensor], high: int, name: str) -> None:
    """Raise if a counted value of ``x`` is outside ``[0, high)``."""
    kept = x if counted is None else torch.where(counted, x, 0)
    low_value, high_value = torch.aminmax(kept)
    if low_value < 0 or high_value >= high:
        bad = (x < 0) | (x >= high)
        if counted is not None:
            bad &= counted
        raise ValueError(f'{name} has values outside [0, {high}) at pixels that are not '
                         f'ignored: {torch.unique(x[bad])[:_MAX_SHOWN].tolist()}')


def rectangular_confusion_matrix(pred: ArrayLike,
                                 gt: ArrayLike,
                                 num_gt_classes: int,
                                 num_pred_classes: Optional[int] = None,
                                 counted: Optional[ArrayLike] = None) -> Tensor:
    """Pixel counts ``confusion[i, j]`` of ground truth i predicted j, one ``bincount``.

    The counting runs on ``pred``'s device (``gt`` and ``counted`` are moved
    there); the pixels left out by ``counted`` go to one extra bin that is cut
    off (no boolean indexing, so no host sync for the counting itself).

    Args:
        pred (Tensor | ndarray): Predicted classes / clusters, integers, shape S.
        gt (Tensor | ndarray): Ground-truth classes, integers, shape S.
        num_gt_classes (int): N, the rows.
        num_pred_classes (int, optional): M, the columns. None: N (square).
        counted (Tensor | ndarray, optional): Bool mask of the pixels to count,
            shape S (e.g. ``gt != ignore_index``). None counts every pixel.

    Returns:
        Tensor: int64 counts, shape (N, M), rows = ground truth, on ``pred``'s
        device.

    Raises:
        ValueError: if the shapes differ, a class count is below 1, or a counted
            ``gt`` / ``pred`` value is outside ``[0, N)`` / ``[0, M)``: the matrix
            cannot hold it, and dropping it would inflate the scores.
        TypeError: if ``pred`` or ``gt`` is not an integer tensor / ndarray.
    """
    pred = to_tensor(pred, 'pred', integer=True)
    gt = to_tensor(gt, 'gt', integer=True)
    if tuple(pred.shape) != tuple(gt.shape):
        raise ValueError('pred and gt must have the same shape, got '
                         f'pred {tuple(pred.shape)} and gt {tuple(gt.shape)}')
    rows = int(num_gt_classes)
    cols = rows if num_pred_classes is None else int(num_pred_classes)
    if rows < 1 or cols < 1:
        raise ValueError(f'the class counts must be >= 1, got {rows} ground-truth and '
                         f'{cols} predicted classes')
    pred = pred.long()
    gt = gt.to(device=pred.device, dtype=torch.long)
    if counted is not None:
        counted = to_tensor(counted, 'counted').to(device=pred.device, dtype=torch.bool)
        if tuple(counted.shape) != tuple(gt.shape):
            raise ValueError(f'counted must have the shape of gt {tuple(gt.shape)}, got '
                             f'{tuple(counted.shape)}')
    if gt.numel():
        _check_range(gt, counted, rows, 'gt')
        _check_range(pred, counted, cols, 'pred')

    index = torch.add(pred, gt, alpha=cols)  # gt * M + pred, fused
    if counted is None:
        return torch.bincount(index.reshape(-1), minlength=rows * cols).reshape(rows, cols)
    index = torch.where(counted, index, rows * cols)  # the extra bin
    counts = torch.bincount(index.reshape(-1), minlength=rows * cols + 1)
    return counts[:rows * cols].reshape(rows, cols)


def iou_from_confusion(confusion: ArrayLike, eps: float = 0.0) -> ArrayLike:
    """Per-class IoU ``n_ii / (t_i + p_i - n_ii + eps)`` of a confusion matrix.

    The classes are the rows. Columns beyond N (M > N) are predictions that are
    no class, e.g. the clusters left unmatched by a Hungarian matching: they
    count in ``t_i`` as misses. Rows beyond M (M < N) are classes never predicted.

    Args:
        confusion (Tensor | ndarray): Counts, shape (N, M), rows = ground truth.
        eps (float): Added to the union. 0 (default) gives NaN for a class absent
            from both ground truth and prediction, to be left out of a nanmean
            (mmseg); QANet's evaluator adds 1e-10, which scores it 0.

    Returns:
        Tensor | ndarray: float64 IoU fractions, shape (N,), the container of
        ``confusion``.
    """
    conf = to_tensor(confusion, 'confusion')
    if conf.dim() != 2:
        raise ValueError(f'confusion must be an (N, M) matrix, got shape {tuple(conf.shape)}')
    conf = conf.double()
    rows, cols = conf.shape
    tp = conf.new_zeros(rows)
    pred_area = conf.new_zeros(rows)
    shared = min(rows, cols)
    tp[:shared] = conf.diagonal()[:shared]
    pred_area[:shared] = conf.sum(0)[:shared]
    union = conf.sum(1) + pred_area - tp
    iou = tp / (union + eps)
    return as_container_of(iou, confusion)


def merge_confusion_columns(confusion: ArrayLike, column_class: ArrayLike,
                            num_classes: int) -> ArrayLike:
    """Sum the columns of a confusion matrix that go to the same class.

    ``merged[:, c] = sum_{j: column_class[j] = c} confusion[:, j]``: the matrix of
    a many-to-one (or one-to-one) matching of predicted clusters / parts to
    classes.

    Args:
        confusion (Tensor | ndarray): Counts, shape (N, M).
        column_class (Tensor | ndarray): Integer class of each column in
            ``[0, num_classes)``, shape (M,).
        num_classes (int): Columns of the result.

    Returns:
        Tensor | ndarray: Shape (N, num_classes), the dtype and container of
        ``confusion``.
    """
    conf = to_tensor(confusion, 'confusion')
    column_class = to_tensor(column_class, 'column_class', integer=True).to(conf.device).long()
    if conf.dim() != 2 or column_class.shape != conf.shape[1:]:
        raise ValueError(f'column_class must have one entry per column of confusion '
                         f'{tuple(conf.shape)}, got shape {tuple(column_class.shape)}')
    if column_class.numel() and (column_class.min() < 0 or column_class.max() >= num_classes):
        raise ValueError(f'column_class must be in [0, {num_classes}), got '
                         f'{torch.unique(column_class)[:_MAX_SHOWN].tolist()}')
    merged = conf.new_zeros(conf.shape[0], num_classes).index_add_(1, column_class, conf)
    return as_container_of(merged, confusion)
