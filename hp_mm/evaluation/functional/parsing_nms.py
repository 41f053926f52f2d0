"""QANet's parsing non-maximum suppression (evaluation post-processing).

Pure numpy (torch tensors are accepted), no registry, no mmengine.

Before AP^p and AP^r, QANet suppresses duplicate persons of an image:
``generate_parsing_result`` (soeaver/QANet ``lib/data/evaluation/parsing_eval.py``
l.628-631 of the ``61615c4`` snapshot) calls ``parsing_nms`` (l.689-727) with
``PARSING.PARSING_NMS_TH = 0.6`` (``qanet/core/config.py`` l.722, not
overridden by any CIHP / MHP-v2 / PASCAL config). No code is copied from there.

Definition: the persons are visited in descending instance (quality) score; a
person still kept suppresses every later person whose *mean part IoU* with it is
``>= thr``. The mean part IoU of two parsing maps is ``nanmean_c IoU_c`` over
the C classes *including background*, over the whole image (``cal_one_mean_iou``:
``IoU_c = n_cc / (t_c + p_c - n_cc)``; a class absent from both maps is NaN and
left out). It is symmetric. The semantic (mIoU) map is painted *before* the NMS
(l.621-626), so suppressed persons still count there.

Note:
    P: number of persons of the image.
    C: number of classes, background (0) included.
    H, W: image height and width.
"""
import warnings

import numpy as np


def _as_numpy(x) -> np.ndarray:
    if hasattr(x, 'detach'):  # torch.Tensor, without importing torch
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def pairwise_parsing_miou(parsings, num_classes: int) -> np.ndarray:
    """Mean part IoU (background included) of every pair of parsing maps.

    One vectorised gather and ``bincount`` per person over its foreground
    pixels; background terms come from the totals.

    Args:
        parsings (ndarray | Tensor): Per-person label maps over the whole
            image, shape (P, H, W), integers in ``[0, C)``.
        num_classes (int): C.

    Returns:
        ndarray: (P, P) float64 symmetric matrix; the diagonal is 1 (NaN for a
        person with no pixel at all, which cannot happen for H * W > 0).
    """
    maps = _as_numpy(parsings)
    if maps.ndim != 3:
        raise ValueError(f'parsings must have shape (P, H, W), got {maps.shape}')
    if not np.issubdtype(maps.dtype, np.integer):
        raise TypeError(f'parsings must hold integers, got dtype {maps.dtype}')
    C = int(num_classes)
    P = maps.shape[0]
    HW = maps.shape[1] * maps.shape[2]
    flat = maps.reshape(P, HW)
    if P == 0:
        return np.zeros((0, 0))
    if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= C):
        raise ValueError(f'parsings have labels outside [0, {C})')
    fg = [np.flatnonzero(row) for row in flat]
    area = np.zeros((P, C), dtype=np.int64)  # pixels of each class, background included
    for p in range(P):
        area[p] = np.bincount(flat[p, fg[p]].astype(np.int64), minlength=C)
        area[p, 0] = HW - fg[p].size
    inter = np.zeros((P, P, C), dtype=np.int64)
    for i in range(P):
        vals = flat[i, fg[i]].astype(np.int64)  # (n_i,)
        others = flat[:, fg[i]]  # (P, n_i): every person's label on i's foreground
        same = others == vals[None]
        rows = np.nonzero(same)[0]
        inter[i] = np.bincount(rows * C + np.broadcast_to(vals, same.shape)[same],
                               minlength=P * C).reshape(P, C)
        both_fg = (others > 0).sum(1)  # (P,)
        inter[i, :, 0] = HW - fg[i].size - np.array([f.size for f in fg]) + both_fg
    union = area[:, None, :] + area[None, :, :] - inter
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = inter / union
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        return np.nanmean(iou, axis=2)


def parsing_nms(miou: np.ndarray, scores, thr: float = 0.6) -> np.ndarray:
    """Greedy NMS on a precomputed pairwise mean part IoU matrix.

    Args:
        miou (ndarray): (P, P) mean part IoUs, from
            :func:`pairwise_parsing_miou`.
        scores (ndarray | Tensor): (P,) instance scores; ties are visited in
            input order.
        thr (float): A person is suppressed by a kept higher-scored one when
            their mean part IoU is ``>= thr`` (QANet: 0.6).

    Returns:
        ndarray: (P,) bool, True for the persons kept.
    """
    scores = _as_numpy(scores).astype(np.float64).reshape(-1)
    miou = np.asarray(miou, dtype=np.float64)
    P = scores.size
    if miou.shape != (P, P):
        raise ValueError(f'miou has shape {miou.shape}, expected {(P, P)} for {P} scores')
    keep = np.ones(P, dtype=bool)
    order = np.argsort(-scores, kind='stable')
    for rank, i in enumerate(order):
        if keep[i]:
            later = order[rank + 1:]
            keep[later[miou[i, later] >= thr]] = False  # NaN >= thr is False
    return keep
