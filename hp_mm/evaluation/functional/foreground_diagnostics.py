"""How well a per-position score separates the person from the background.

Diagnostics for ISP's stage 1 (is the activation ``||M_g||`` higher on the person?) and
references for its pseudo-labels: the ROC AUC of a score against a foreground mask, the
best foreground IoU any threshold of the score reaches, and the best *fixed* box (the same
rectangle in every image, chosen on the ground truth), the box-shaped guess that parsing
must beat. Pure torch.

Note:
    N: maps; h, w: map size.
"""
from typing import Dict, Tuple

import torch
from torch import Tensor


def roc_auc(scores: Tensor, positives: Tensor) -> float:
    """Area under the ROC curve of ``scores`` for the boolean ``positives`` (ties count 1/2).

    Args:
        scores (Tensor): Any shape, float.
        positives (Tensor): Same shape, bool.

    Returns:
        float: AUC in [0, 1] (0.5: no separation); NaN without positives or negatives.
    """
    if scores.shape != positives.shape:
        raise ValueError(f'scores {tuple(scores.shape)} and positives '
                         f'{tuple(positives.shape)} differ')
    s = scores.flatten().double()
    p = positives.flatten().bool()
    n_pos, n_neg = int(p.sum()), int((~p).sum())
    if n_pos == 0 or n_neg == 0:
        return float('nan')
    uniq, inverse, counts = torch.unique(s, return_inverse=True, return_counts=True)
    ends = torch.cumsum(counts, 0).double()
    mid_rank = ends - (counts.double() - 1) / 2  # 1-based mid rank of each tied group
    rank_sum = mid_rank[inverse][p].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def best_threshold_iou(scores: Tensor, positives: Tensor) -> float:
    """Best IoU (%) of ``scores >= t`` with ``positives`` over every threshold t.

    The scores are sorted once; cutting after each distinct value (ties stay together)
    gives ``TP / (k + P - TP)`` for the k highest-scored positions, P = all positives.
    """
    if scores.shape != positives.shape:
        raise ValueError(f'scores {tuple(scores.shape)} and positives '
                         f'{tuple(positives.shape)} differ')
    s = scores.flatten().double()
    order = torch.argsort(s, descending=True)
    s_sorted = s[order]
    tp = torch.cumsum(positives.flatten()[order].double(), 0)
    k = torch.arange(1, s.numel() + 1, dtype=torch.float64)
    cut = torch.ones_like(s_sorted, dtype=torch.bool)
    cut[:-1] = s_sorted[1:] != s_sorted[:-1]  # the last position of each distinct value
    iou = tp / (k + tp[-1] - tp).clamp_min(1)
    return 100 * float(iou[cut].max()) if s.numel() else 0.0


def best_fixed_box_iou(positives: Tensor) -> Tuple[float, Tuple[int, int, int, int]]:
    """Foreground IoU (%) of the best rectangle used as the foreground of every map.

    The pooled IoU over all maps of the box rows ``y0:y1``, columns ``x0:x1`` is
    ``S / (N * area + G - S)`` with ``S`` the person pixels inside the box over all maps
    and ``G`` all person pixels; every rectangle of the (h, w) grid is scored at once from
    the 2-D prefix sums of the per-position person counts.

    Args:
        positives (Tensor): (N, h, w) bool foreground masks.

    Returns:
        tuple: (IoU in percent, (y0, y1, x0, x1) of the best box, end exclusive).
    """
    if positives.dim() != 3:
        raise ValueError(f'positives must be (N, h, w), got {tuple(positives.shape)}')
    n, h, w = positives.shape
    counts = positives.double().sum(0)  # (h, w)
    prefix = torch.zeros(h + 1, w + 1, dtype=torch.float64)
    prefix[1:, 1:] = counts.cumsum(0).cumsum(1)
    y = torch.arange(h + 1)
    x = torch.arange(w + 1)
    y0, y1, x0, x1 = (t.reshape(s) for t, s in zip(
        torch.meshgrid(y, y, x, x, indexing='ij'), [(h + 1,) * 2 + (w + 1,) * 2] * 4))
    inside = prefix[y1, x1] - prefix[y0, x1] - prefix[y1, x0] + prefix[y0, x0]
    area = ((y1 - y0) * (x1 - x0)).double()
    valid = (y1 > y0) & (x1 > x0)
    total = counts.sum()
    iou = torch.where(valid, inside / (n * area + total - inside).clamp_min(1e-12),
                      torch.zeros_like(inside))
    idx = int(iou.argmax())
    box = tuple(int(t.flatten()[idx]) for t in (y0, y1, x0, x1))
    return 100 * float(iou.flatten()[idx]), box


def foreground_report(scores: Tensor, positives: Tensor) -> Dict[str, float]:
    """``auc``, ``best_threshold_iou`` of a score map (N, h, w) against masks (N, h, w)."""
    return dict(auc=roc_auc(scores, positives),
                best_threshold_iou=best_threshold_iou(scores, positives))
