"""Pairwise squared Euclidean distances, shared by k-means and re-ID ranking (torch only).

Note:
    B: batch of independent problems. M, N: rows of the two point sets. C: channels.
"""
from typing import Optional

import torch
from torch import Tensor


def squared_norms(x: Tensor) -> Tensor:
    """``||x_m||^2`` over the last dim, (..., M, C) -> (..., M), without materialising
    ``x * x``."""
    return torch.linalg.vector_norm(x, dim=-1).square_()


def squared_euclidean_distances(x: Tensor, y: Tensor, x_sq: Optional[Tensor] = None) -> Tensor:
    """``||x_m - y_n||^2`` of every pair of rows, clamped at 0.

    Computed as ``||x||^2 - 2 x.y + ||y||^2`` with one (batched) GEMM and one output
    buffer: exact up to float rounding, hence the clamp for (nearly) equal rows.

    Args:
        x (Tensor): (M, C) or (B, M, C) float.
        y (Tensor): (N, C) or (B, N, C), same rank and dtype as ``x``.
        x_sq (Tensor, optional): (M,) or (B, M) precomputed :func:`squared_norms` of
            ``x`` (reused when ``x`` meets several ``y``).

    Returns:
        Tensor: (M, N) or (B, M, N) in the dtype of ``x``.
    """
    if x.dim() not in (2, 3) or y.dim() != x.dim() or x.shape[-1] != y.shape[-1] or (
            x.dim() == 3 and x.shape[0] != y.shape[0]):
        raise ValueError(f'x and y must have shapes (M, C), (N, C) or (B, M, C), (B, N, C); '
                         f'got {tuple(x.shape)} and {tuple(y.shape)}')
    batched = x.dim() == 3
    if not batched:
        x, y = x[None], y[None]
        x_sq = None if x_sq is None else x_sq[None]
    if x_sq is None:
        x_sq = squared_norms(x)
    d = torch.baddbmm((y * y).sum(-1)[:, None, :], x, y.transpose(1, 2), alpha=-2.0)
    d = d.add_(x_sq[..., None]).clamp_(min=0.0)
    return d if batched else d[0]
