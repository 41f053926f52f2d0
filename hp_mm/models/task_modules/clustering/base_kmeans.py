"""Options and the batched fit shared by the torch k-means back-ends."""
from typing import Optional, Tuple

import torch
from torch import Tensor

from .counter_rng import problem_seeds
from .kmeans_input import check_features
from .kmeans_seeding import init_centroids
from .lloyd import ASSIGN_CHUNK, lloyd, nearest_labels
from .point_subsample import subsample


class BaseKMeans:
    """Common options of the k-means back-ends.

    Args:
        num_clusters (int): K.
        max_iter (int): Maximum number of Lloyd updates (the torch back-ends stop
            earlier at a fixed point). Default 20.
        seed (int): Seed of the initialisation (and of the subsampling). Default 0.
        init (str): 'k-means++' (default: greedy k-means++, see ``n_local_trials``) or
            'random' (K distinct points uniformly).
        max_points_per_centroid (int, optional): If set, the Lloyd iterations use at
            most ``K * max_points_per_centroid`` points per problem, drawn uniformly
            (faiss' rule, whose default is 256); the returned labels still cover all
            points. None (default): every point.
        chunk_size (int): Rows per distance chunk (bounds the N x K buffer).
        n_local_trials (int, optional): Candidates per greedy k-means++ step, the one
            that lowers the potential most is kept (:func:`kmeans_seeding.kmeans_plusplus`).
            None (default): ``2 + floor(ln K)`` as scikit-learn; 1: plain k-means++.

    Empty clusters (torch back-ends): after an update, a cluster that received no
    point is re-seeded at the point farthest from its assigned centroid (several
    empty clusters take the farthest points in decreasing distance, in increasing
    cluster index); see :func:`lloyd.reseed_empty`.
    """

    def __init__(self,
                 num_clusters: int,
                 max_iter: int = 20,
                 seed: int = 0,
                 init: str = 'k-means++',
                 max_points_per_centroid: Optional[int] = None,
                 chunk_size: int = ASSIGN_CHUNK,
                 n_local_trials: Optional[int] = None) -> None:
        if int(num_clusters) < 1:
            raise ValueError(f'num_clusters must be >= 1, got {num_clusters}')
        if int(max_iter) < 0:
            raise ValueError(f'max_iter must be >= 0, got {max_iter}')
        if init not in ('k-means++', 'random'):
            raise ValueError(f"init must be 'k-means++' or 'random', got {init!r}")
        if max_points_per_centroid is not None and int(max_points_per_centroid) < 1:
            raise ValueError(f'max_points_per_centroid must be >= 1, got {max_points_per_centroid}')
        if n_local_trials is not None and int(n_local_trials) < 1:
            raise ValueError(f'n_local_trials must be >= 1, got {n_local_trials}')
        self.num_clusters = int(num_clusters)
        self.max_iter = int(max_iter)
        self.seed = int(seed)
        self.init = init
        self.max_points_per_centroid = max_points_per_centroid
        self.chunk_size = int(chunk_size)
        self.n_local_trials = None if n_local_trials is None else int(n_local_trials)
        #: number of Lloyd updates of the last fit
        self.n_iter_ = 0

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_clusters={self.num_clusters}, max_iter={self.max_iter}, '
                f'seed={self.seed}, init={self.init!r})')

    def _check_init(self, init: Tensor, shape: Tuple[int, ...], device) -> Tensor:
        init = torch.as_tensor(init, device=device).float()
        if tuple(init.shape) != tuple(shape):
            raise ValueError(f'init_centroids must have shape {tuple(shape)}, got {tuple(init.shape)}')
        if not bool(torch.isfinite(init).all()):
            raise ValueError('init_centroids are not finite')
        return init

    def initial_centroids(self, x: Tensor, mask: Tensor, seeds: Tensor) -> Tensor:
        """The seeded initialisation of validated (B, N, C) points: (B, K, C)."""
        return init_centroids(x, self.num_clusters, mask, seeds, self.init, self.n_local_trials)

    def _fit_batched(self, x: Tensor, mask: Tensor, init: Optional[Tensor],
                     seeds: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        """Lloyd on validated (B, N, C) points: (B, K, C) centroids, (B, N) labels."""
        B, _, C = x.shape
        K = self.num_clusters
        seeds = problem_seeds(self.seed, B, seeds, device=x.device)
        xs, ms = x, mask
        if self.max_points_per_centroid is not None:
            xs, ms = subsample(x, mask, K * int(self.max_points_per_centroid), seeds)
        if init is None:
            init = self.initial_centroids(xs, ms, seeds)
        else:
            init = self._check_init(init, (B, K, C), x.device)
        centroids, labels, self.n_iter_ = lloyd(xs, ms, init, self.max_iter, self.chunk_size)
        if xs is not x:
            labels = nearest_labels(x, centroids, mask, self.chunk_size)
        return centroids, labels

    def _assign_batched(self, x: Tensor, centroids: Tensor, mask: Optional[Tensor]) -> Tensor:
        x3, mask3 = check_features(x, 1, mask=mask, batched=True)
        c = torch.as_tensor(centroids, device=x3.device).float()
        if c.dim() != 3 or c.shape[0] != x3.shape[0] or c.shape[2] != x3.shape[2]:
            raise ValueError(f'centroids must have shape (B={x3.shape[0]}, K, C={x3.shape[2]}), '
                             f'got {tuple(c.shape)}')
        return nearest_labels(x3, c, mask3 if mask is not None else None, self.chunk_size)
