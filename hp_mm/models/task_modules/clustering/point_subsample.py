"""faiss' ``max_points_per_centroid`` rule, batched: Lloyd on a uniform subsample of the
valid points of each problem (pure torch).

Note:
    B: number of problems. N: points per problem (padded). C: feature channels.
    M: points kept per problem.
"""
from typing import Tuple

import torch
from torch import Tensor

from .counter_rng import counter_uniform, sample_weighted


def subsample(x: Tensor, mask: Tensor, max_points: int, seeds: Tensor) -> Tuple[Tensor, Tensor]:
    """``max_points`` valid points per problem drawn uniformly with replacement
    (problems with at most ``max_points`` valid points keep them all, each once).

    Args:
        x (Tensor): (B, N, C) points.
        mask (Tensor): (B, N) bool validity.
        max_points (int): Points kept per problem.
        seeds (Tensor): (B,) int64 per-problem seeds (stream 3 of :func:`counter_uniform`).

    Returns:
        tuple: (B, M, C) points and (B, M) mask with M = min(N, max_points); the input
        itself when N <= max_points.
    """
    B, N, C = x.shape
    if N <= max_points:
        return x, mask
    u = counter_uniform(seeds, torch.arange(max_points, device=x.device), stream=3)
    idx = sample_weighted(mask.to(torch.float64), u)                 # (B, M)
    sub_mask = torch.ones(B, max_points, dtype=torch.bool, device=x.device)
    small = mask.sum(1) <= max_points
    if bool(small.any()):  # keep every point of small problems, once
        first = torch.argsort((~mask[small]).to(torch.int8), dim=1, stable=True)[:, :max_points]
        idx[small] = first
        sub_mask[small] = torch.gather(mask[small], 1, first)
    return torch.gather(x, 1, idx[..., None].expand(-1, -1, C)), sub_mask
