"""Initial centroids of batched k-means problems: greedy k-means++ or uniform random
points (pure torch).

Note:
    B: number of problems. N: points per problem (padded). C: feature channels.
    K: number of clusters. T: candidates per greedy k-means++ step.
"""
import math
from typing import Optional

import torch
from torch import Tensor

from hp_mm.structures.distances import squared_euclidean_distances, squared_norms
from .counter_rng import counter_uniform, sample_weighted


def default_local_trials(num_clusters: int) -> int:
    """Candidates per greedy k-means++ step: ``2 + floor(ln K)`` (scikit-learn's rule)."""
    return 2 + int(math.log(num_clusters))


def kmeans_plusplus(x: Tensor, num_clusters: int, mask: Tensor, seeds: Tensor,
                    n_local_trials: Optional[int] = None) -> Tensor:
    """Greedy k-means++ seeding, batched over problems.

    k-means++ (Arthur & Vassilvitskii 2007) draws the first centroid uniformly among
    the valid points and each next one with probability proportional to ``D^2``, the
    squared distance to the nearest centroid chosen so far. The greedy variant
    (scikit-learn's ``_kmeans_plusplus``) draws ``T`` candidates per step that way and
    keeps the one that lowers the potential ``sum_n min(D^2_n, ||x_n - cand||^2)`` most
    (the first of equals): two seeds in one well-separated cluster then need all
    ``T`` draws to land in already covered clusters. ``T = 1`` is plain k-means++,
    draw for draw. When every valid point coincides with a chosen centroid (zero
    potential) the candidates are drawn uniformly among the valid points.

    Randomness: candidate ``t`` of step ``k`` of problem ``b`` uses counter
    ``t * K + k`` of ``seeds[b]`` (stream 1 of :func:`counter_uniform`), so a problem's
    seeding does not depend on the other problems of the batch.

    Args:
        x (Tensor): (B, N, C) float32.
        num_clusters (int): K.
        mask (Tensor): (B, N) bool, True for valid points.
        seeds (Tensor): (B,) int64 per-problem seeds.
        n_local_trials (int, optional): T; default :func:`default_local_trials` (K).

    Returns:
        Tensor: (B, K, C) initial centroids, each a valid point of its problem.
    """
    B, N, C = x.shape
    K = int(num_clusters)
    T = default_local_trials(K) if n_local_trials is None else int(n_local_trials)
    if T < 1:
        raise ValueError(f'n_local_trials must be >= 1, got {n_local_trials}')
    valid = mask.to(torch.float64)
    u = counter_uniform(seeds, torch.arange(K * T, device=x.device), stream=1).view(B, T, K)
    batch = torch.arange(B, device=x.device)
    x_sq = squared_norms(x)
    centroids = x.new_empty(B, K, C)
    centroids[:, 0] = x[batch, sample_weighted(valid, u[:, 0, :1])[:, 0]]
    d2 = squared_euclidean_distances(x, centroids[:, :1], x_sq)[..., 0].to(torch.float64) * valid
    for k in range(1, K):
        w = torch.where((d2.sum(1) > 0)[:, None], d2, valid)
        cand = sample_weighted(w, u[:, :, k])                                 # (B, T)
        points = torch.gather(x, 1, cand[..., None].expand(-1, -1, C))        # (B, T, C)
        dc = squared_euclidean_distances(x, points, x_sq).to(torch.float64)   # (B, N, T)
        dc.mul_(valid[..., None])
        if T == 1:
            best = torch.zeros(B, dtype=torch.int64, device=x.device)
        else:
            best = torch.minimum(d2[..., None], dc).sum(1).argmin(1)          # (B,)
        centroids[:, k] = points[batch, best]
        d2 = torch.minimum(d2, dc[batch, :, best])
    return centroids


def random_init(x: Tensor, num_clusters: int, mask: Tensor, seeds: Tensor) -> Tensor:
    """K distinct valid points drawn uniformly per problem (stream 2 of
    :func:`counter_uniform`): (B, K, C)."""
    keys = counter_uniform(seeds, torch.arange(x.shape[1], device=x.device), stream=2)
    keys = keys.masked_fill(~mask, -1.0)
    idx = keys.topk(num_clusters, dim=1).indices
    return torch.gather(x, 1, idx[..., None].expand(-1, -1, x.shape[2]))


def init_centroids(x: Tensor, num_clusters: int, mask: Tensor, seeds: Tensor,
                   method: str = 'k-means++', n_local_trials: Optional[int] = None) -> Tensor:
    """Initial centroids (B, K, C) by ``method``: 'k-means++' (greedy, ``n_local_trials``
    candidates per step) or 'random'."""
    if method == 'k-means++':
        return kmeans_plusplus(x, num_clusters, mask, seeds, n_local_trials)
    if method == 'random':
        return random_init(x, num_clusters, mask, seeds)
    raise ValueError(f"init must be 'k-means++' or 'random', got {method!r}")
