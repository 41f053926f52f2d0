"""Hungarian-matched evaluation of unsupervised parsing (PiCIE's protocol; torch/numpy/scipy only).

Note:
    N: number of ground-truth classes. K: number of clusters.
    H, W: height and width of a label map.

Protocol (janghyuncho/PiCIE ``commons.evaluate`` and ``utils.get_result_metrics``):

1. One histogram ``hist[c, k]`` (rows = ground truth) is accumulated over the *whole*
   evaluation set (:func:`cluster_histogram`, summed over images); ground-truth pixels
   outside ``[0, N)`` (e.g. 255) are ignored.
2. One matching of clusters to classes on that histogram: the Hungarian assignment
   that maximises the matched pixel count (PiCIE:
   ``linear_assignment(hist.max() - hist)``; here
   ``scipy.optimize.linear_sum_assignment(hist, maximize=True)``, the same optimum).
   With ``many_to_one=True`` (K > N allowed, PiCIE cannot) every cluster goes to the
   class holding most of its pixels (majority vote), so several clusters may share a
   class.
3. On the matched N x N histogram: ``IoU_c = tp / (tp + fp + fn)``, ``mIoU`` = nanmean
   over classes, ``acc`` = matched pixels / valid pixels, per-class accuracy
   ``tp / (tp + fn)`` and its nanmean, all in percent. Pixels of an unmatched cluster
   (K > N one-to-one) count as misses of their ground-truth class.
"""
import warnings

import numpy as np
from scipy.optimize import linear_sum_assignment

from hp_mm.structures.array_like import ArrayLike, to_numpy, to_tensor

from .confusion import iou_from_confusion, merge_confusion_columns, rectangular_confusion_matrix

__all__ = ['cluster_histogram', 'eval_unsupervised_parsing']


def cluster_histogram(gt: ArrayLike, pred: ArrayLike, num_classes: int,
                      num_clusters: int) -> np.ndarray:
    """Class-by-cluster pixel counts of one (or a batch of) label map(s), one ``bincount``.

    :func:`~.confusion.rectangular_confusion_matrix` over the pixels whose ``gt``
    is in ``[0, N)``, on ``pred``'s device.

    Args:
        gt (Tensor | ndarray): Ground-truth classes, shape (H, W) (any shape equal
            to ``pred``'s). Values outside ``[0, N)`` are ignored.
        pred (Tensor | ndarray): Cluster indices in ``[0, K)``, same shape.
        num_classes (int): N.
        num_clusters (int): K.

    Returns:
        ndarray: int64 histogram, shape (N, K), rows = ground truth.

    Raises:
        ValueError: if the shapes differ or a prediction at a valid pixel is outside
            ``[0, K)`` (a histogram cannot hold it, and dropping it would inflate
            the scores).
        TypeError: if ``gt`` or ``pred`` is not an integer tensor / ndarray.
    """
    gt = to_tensor(gt, 'gt', integer=True)
    counted = (gt >= 0) & (gt < num_classes)
    hist = rectangular_confusion_matrix(pred, gt, num_classes, num_clusters, counted=counted)
    return hist.cpu().numpy()


def _nanmean(x: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        return float(np.nanmean(x)) if np.any(~np.isnan(x)) else float('nan')


def eval_unsupervised_parsing(hist: ArrayLike, many_to_one: bool = False) -> dict:
    """Match clusters to classes once on the whole-set histogram, then score.

    Args:
        hist (ndarray | Tensor): Pixel counts, shape (N, K), rows = ground truth,
            accumulated over the whole evaluation set.
        many_to_one (bool): Majority matching (each cluster to its most frequent
            class; K > N welcome) instead of the one-to-one Hungarian matching.
            Defaults to False (PiCIE).

    Returns:
        dict: ``mIoU``, ``acc``, ``mean_class_acc`` (float, percent), ``iou`` (ndarray
        (N,), percent, NaN for a class absent from both ground truth and matched
        predictions), ``class_acc`` (ndarray (N,), percent), ``assignment`` (the
        cluster matched to each class: int64 ndarray (N,), -1 for a class left
        without a cluster when K < N; with ``many_to_one`` a tuple of N tuples of
        cluster indices), ``cluster_to_class`` (int64 ndarray (K,), -1 = unmatched)
        and ``matched_hist`` (ndarray (N, N), columns = the classes the clusters
        were matched to).

    Example:
        >>> hist = np.array([[0, 8], [6, 2]])   # class 0 -> cluster 1, class 1 -> cluster 0
        >>> res = eval_unsupervised_parsing(hist)
        >>> res['assignment'].tolist(), round(res['acc'], 2)
        ([1, 0], 87.5)
    """
    hist = np.asarray(to_numpy(hist, 'hist'), dtype=np.float64)
    if hist.ndim != 2:
        raise ValueError(f'hist must have shape (num_classes, num_clusters), got {hist.shape}')
    if (hist < 0).any():
        raise ValueError('hist must hold pixel counts (>= 0)')
    n_classes, n_clusters = hist.shape
    cluster_to_class = np.full(n_clusters, -1, dtype=np.int64)
    if many_to_one:
        used = hist.sum(0) > 0
        cluster_to_class[used] = hist[:, used].argmax(0)
        assignment = tuple(tuple(np.flatnonzero(cluster_to_class == c).tolist())
                           for c in range(n_classes))
    else:
        rows, cols = linear_sum_assignment(hist, maximize=True)
        cluster_to_class[cols] = rows
        assignment = np.full(n_classes, -1, dtype=np.int64)
        assignment[rows] = cols
    # columns: the N matched classes, then one of the unmatched clusters (misses)
    merged = merge_confusion_columns(hist, np.where(cluster_to_class >= 0, cluster_to_class,
                                                    n_classes), n_classes + 1)
    matched = merged[:, :n_classes]
    tp = np.diag(matched)
    iou = iou_from_confusion(merged)
    with np.errstate(divide='ignore', invalid='ignore'):
        class_acc = tp / hist.sum(1)  # includes the pixels of unmatched clusters
        acc = tp.sum() / hist.sum() if hist.sum() > 0 else float('nan')
    return dict(
        mIoU=100 * _nanmean(iou),
        acc=100 * float(acc),
        mean_class_acc=100 * _nanmean(class_acc),
        iou=100 * iou,
        class_acc=100 * class_acc,
        assignment=assignment,
        cluster_to_class=cluster_to_class,
        matched_hist=matched)
