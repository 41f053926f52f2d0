"""Streaming k-means over feature buffers (PiCIE's ``run_mini_batch_kmeans``)."""
from typing import Optional, Tuple

import torch
from torch import Tensor

from hp_mm.registry import TASK_UTILS
from .kmeans_input import check_features
from .lloyd import ASSIGN_CHUNK, cluster_sums, nearest_centroid, nearest_labels


@TASK_UTILS.register_module()
class MiniBatchKMeans:
    """Mini-batch k-means as in PiCIE (janghyuncho/PiCIE ``run_mini_batch_kmeans``).

    The first :meth:`partial_fit` buffer is clustered by a full k-means (the
    ``kmeans`` back-end) to get the initial centroids (so no cluster starts empty)
    and the per-cluster counts. Every later buffer is assigned to the current
    centroids and each cluster ``k`` that received ``m_k`` points moves towards their
    mean ``mu_k`` with Sculley's per-centre rate (Sculley 2010, "Web-scale k-means")::

        n_k <- n_k + m_k ;   eta_k = m_k / n_k ;   c_k <- (1 - eta_k) c_k + eta_k mu_k

    Empty-cluster rule: a cluster that gets no point of a buffer keeps its previous
    centroid and count (empty clusters of the initial buffer follow the back-end's
    rule). Features never need to be in memory all at once: only one buffer.

    For data-parallel streaming without gathering features, every rank computes
    :meth:`batch_stats` of its share of a buffer, the sums and counts are
    all-reduced, and every rank applies :meth:`update` (same rule as
    :meth:`partial_fit`).

    Args:
        num_clusters (int): K.
        seed (int): Seed of the initial k-means.
        kmeans (dict): Config of the initial full k-means (``num_clusters`` and
            ``seed`` are filled in). Default ``dict(type='TorchKMeans', max_iter=20)``;
            PiCIE uses faiss: ``dict(type='FaissKMeans', max_iter=20)``.
        chunk_size (int): Rows per distance chunk.

    Example:
        >>> mb = TASK_UTILS.build(dict(type='MiniBatchKMeans', num_clusters=27, seed=0))
        >>> for x_batch in buffers:      # (M, C) each
        ...     mb.partial_fit(x_batch)
        >>> centroids = mb.centroids     # (27, C) float32
    """

    def __init__(self,
                 num_clusters: int,
                 seed: int = 0,
                 kmeans: Optional[dict] = None,
                 chunk_size: int = ASSIGN_CHUNK) -> None:
        kmeans = dict(type='TorchKMeans', max_iter=20) if kmeans is None else dict(kmeans)
        kmeans.update(num_clusters=num_clusters, seed=seed)
        self.kmeans = TASK_UTILS.build(kmeans)
        self.num_clusters = int(num_clusters)
        self.seed = int(seed)
        self.chunk_size = int(chunk_size)
        self.reset()

    def reset(self) -> None:
        """Forget the centroids (the next partial_fit initialises again)."""
        self._centroids: Optional[Tensor] = None
        self._counts: Optional[Tensor] = None
        #: mean squared distance of the last buffer to its assigned centroid
        self.last_inertia = float('nan')
        self.num_updates = 0

    @property
    def initialized(self) -> bool:
        return self._centroids is not None

    @property
    def centroids(self) -> Tensor:
        """(K, C) float32 current centroids."""
        if self._centroids is None:
            raise RuntimeError('MiniBatchKMeans has no centroids yet: call partial_fit first')
        return self._centroids

    @property
    def counts(self) -> Tensor:
        """(K,) int64 number of points each centroid has absorbed."""
        if self._counts is None:
            raise RuntimeError('MiniBatchKMeans has no counts yet: call partial_fit first')
        return self._counts

    def partial_fit(self, x: Tensor) -> 'MiniBatchKMeans':
        """Absorb one buffer of features.

        Args:
            x (Tensor): (M, C) float features (M >= K for the first buffer).

        Returns:
            MiniBatchKMeans: self.
        """
        if self._centroids is None:
            x3, _ = check_features(x, self.num_clusters, name='first buffer')
            centroids, labels = self.kmeans.fit(x3[0])
            self._centroids = centroids.float()
            self._counts = torch.bincount(labels, minlength=self.num_clusters).to(torch.int64)
            self.last_inertia = float(nearest_centroid(x3, self._centroids[None],
                                                       chunk=self.chunk_size)[1].mean())
            self.num_updates = 1
            return self
        sums, counts = self.batch_stats(x)
        self.update(sums, counts)
        return self

    def batch_stats(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Per-cluster sums (K, C) float64 and counts (K,) int64 of ``x`` (M, C) under
        the current centroids (also sets :attr:`last_inertia`)."""
        x3, _ = check_features(x, 1)
        labels, dists, sums, counts = cluster_sums(x3, self.centroids.to(x3.device)[None],
                                                   chunk=self.chunk_size)
        self.last_inertia = float(dists.mean()) if dists.numel() else float('nan')
        return sums[0].to(torch.float64), counts[0]

    def update(self, sums: Tensor, counts: Tensor) -> None:
        """Sculley's update from per-cluster sums (K, C) and counts (K,)."""
        c = self.centroids
        sums = sums.to(device=c.device, dtype=torch.float64)
        counts = counts.to(device=c.device, dtype=torch.int64)
        total = self._counts.to(c.device) + counts
        hit = counts > 0
        eta = torch.where(hit, counts / total.clamp(min=1), torch.zeros_like(total, dtype=torch.float64))
        mean = sums / counts.clamp(min=1)[:, None]
        new = (1 - eta)[:, None] * c.to(torch.float64) + eta[:, None] * mean
        self._centroids = torch.where(hit[:, None], new, c.to(torch.float64)).float()
        self._counts = total
        self.num_updates += 1

    def assign(self, x: Tensor, centroids: Optional[Tensor] = None) -> Tensor:
        """Nearest centroid of each row of ``x`` (N, C): (N,) int64."""
        x3, _ = check_features(x, 1)
        c = self.centroids if centroids is None else torch.as_tensor(centroids).float()
        return nearest_labels(x3, c.to(x3.device)[None], chunk=self.chunk_size)[0]

    def fit(self, x: Tensor, batch_size: Optional[int] = None) -> Tuple[Tensor, Tensor]:
        """Stream ``x`` (N, C) in buffers of ``batch_size`` rows (all at once if None)
        from scratch; return centroids (K, C) and the labels (N,) of all rows."""
        self.reset()
        step = x.shape[0] if batch_size is None else int(batch_size)
        for s in range(0, x.shape[0], step):
            self.partial_fit(x[s:s + step])
        return self.centroids, self.assign(x)
