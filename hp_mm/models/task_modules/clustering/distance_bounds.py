"""Hamerly's distance bounds for Lloyd: which points must recompute their distances.

Hamerly, "Making k-means even faster" (SDM 2010). Every point keeps an upper bound
``u >= ||x - c_a||`` on the distance to its assigned centroid ``a`` and a lower bound
``l <= min_{j != a} ||x - c_j||`` on the distance to every other centroid. When the
centroids move by ``delta_j``, the triangle inequality keeps the bounds valid after
``u += delta_a`` and ``l -= max_{j != a} delta_j``. A point whose ``u`` is at most
``max(l, s_a)``, with ``s_a`` half the distance from ``c_a`` to its nearest other
centroid, cannot have a nearer centroid than ``a``: its distances need not be computed.

The bounds are taken from the float32 ranking scores of the assignment GEMM, widened by
a tolerance that covers that GEMM's worst-case rounding (:func:`score_tolerance`), so a
skipped point keeps the label an exact computation gives; the labels of a bounded Lloyd
equal plain Lloyd's up to float ties.

Note:
    B: problems. N: points per problem. C: channels. K: clusters.
"""
from typing import Tuple

import torch
from torch import Tensor


def score_tolerance(x_sq: Tensor, centroids: Tensor) -> Tensor:
    """Worst-case float error of ``||c||^2 - 2 x.c + ||x||^2`` computed with float32
    dot products of length C: ``4 C eps (||x||^2 + max_k ||c_k||^2)`` per point.

    Args:
        x_sq (Tensor): (B, N) squared norms of the points.
        centroids (Tensor): (B, K, C).

    Returns:
        Tensor: (B, N) tolerance on the squared distances.
    """
    C = centroids.shape[-1]
    eps = torch.finfo(torch.float32).eps
    c_sq_max = centroids.float().square().sum(-1).amax(1, keepdim=True)  # (B, 1)
    return (4.0 * C * eps) * (x_sq + c_sq_max)


def bounds_from_scores(best: Tensor, second: Tensor, x_sq: Tensor,
                       tol: Tensor) -> Tuple[Tensor, Tensor]:
    """Upper / lower distance bounds from the two smallest ranking scores.

    Args:
        best (Tensor): (...,) ``min_k ||c_k||^2 - 2 x.c_k`` (the assigned centroid).
        second (Tensor): (...,) the second smallest score (``inf`` when K = 1).
        x_sq (Tensor): (...,) ``||x||^2``.
        tol (Tensor): (...,) :func:`score_tolerance`.

    Returns:
        tuple: ``u = sqrt(best + ||x||^2 + tol)`` and ``l = sqrt(max(second + ||x||^2 -
        tol, 0))``, both (...,).
    """
    upper = (best + x_sq + tol).clamp_(min=0.0).sqrt_()
    lower = (second + x_sq - tol).clamp_(min=0.0).sqrt_()
    return upper, lower


def shift_bounds_(upper: Tensor, lower: Tensor, labels: Tensor, old: Tensor,
                  new: Tensor) -> None:
    """Keep the bounds valid after the centroids moved from ``old`` to ``new`` (in place).

    Args:
        upper (Tensor): (B, N) upper bounds, raised by the move of the own centroid.
        lower (Tensor): (B, N) lower bounds, lowered by the largest move among the
            other centroids.
        labels (Tensor): (B, N) int64 assigned centroid, -1 for masked points (their
            bounds are left meaningless).
        old (Tensor): (B, K, C) centroids the bounds refer to.
        new (Tensor): (B, K, C) moved centroids.
    """
    K = old.shape[1]
    shift = torch.linalg.vector_norm((new.double() - old.double()), dim=-1).float()  # (B, K)
    lab = labels.clamp(min=0)
    upper.add_(torch.gather(shift, 1, lab))
    if K == 1:
        return
    top = shift.topk(2, dim=1)
    largest, runner_up, arg = top.values[:, :1], top.values[:, 1:], top.indices[:, :1]
    lower.sub_(torch.where(lab == arg, runner_up, largest))


def half_separation(centroids: Tensor) -> Tensor:
    """``s_k = min_{j != k} ||c_k - c_j|| / 2``, (B, K, C) -> (B, K) (``inf`` when K = 1)."""
    c = centroids.double()
    d = torch.cdist(c, c)
    d.diagonal(dim1=1, dim2=2).fill_(float('inf'))
    return (0.5 * d.amin(-1)).float()


def rows_to_check(upper: Tensor, lower: Tensor, labels: Tensor, half_sep: Tensor,
                  mask: Tensor) -> Tensor:
    """(B, N) bool: valid points whose nearest centroid may have changed
    (``u > max(l, s_a)``)."""
    s = torch.gather(half_sep, 1, labels.clamp(min=0))
    return mask & (upper > torch.maximum(lower, s))
