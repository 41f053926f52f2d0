"""k-means with Lloyd iterations in torch, on the features' own device."""
from typing import Optional, Tuple

from torch import Tensor

from hp_mm.registry import TASK_UTILS
from .base_kmeans import BaseKMeans
from .kmeans_input import check_features


@TASK_UTILS.register_module()
class TorchKMeans(BaseKMeans):
    """Lloyd's k-means on one (N, C) point set, on the device of the features
    (the GPU when training on one).

    Seeded k-means++ (default) or random initialisation; see :class:`BaseKMeans` for
    the options and the empty-cluster rule (re-seed at the farthest point). Stops
    early at a fixed point (no label changes).

    Example:
        >>> km = TASK_UTILS.build(dict(type='TorchKMeans', num_clusters=8, max_iter=20, seed=0))
        >>> centroids, labels = km.fit(x)        # (N, C) -> (8, C) float32, (N,) int64
        >>> labels = km.assign(x, centroids)     # nearest centroid, squared L2
    """

    def fit(self, x: Tensor, init_centroids: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Cluster ``x``.

        Args:
            x (Tensor): (N, C) float features.
            init_centroids (Tensor, optional): (K, C) starting centroids instead of the
                seeded initialisation.

        Returns:
            tuple: centroids (K, C) float32 and labels (N,) int64, on ``x.device``;
            labels are the nearest returned centroid of each point.

        Raises:
            ValueError: non-finite rows (with their count) or K > N.
        """
        x3, mask = check_features(x, self.num_clusters)
        init = None if init_centroids is None else init_centroids[None]
        if init is not None and init.dim() != 3:
            raise ValueError(f'init_centroids must have shape (K, C), got {tuple(init_centroids.shape)}')
        centroids, labels = self._fit_batched(x3, mask, init, None)
        return centroids[0], labels[0]

    def assign(self, x: Tensor, centroids: Tensor) -> Tensor:
        """Nearest centroid (squared L2) of each row of ``x`` (N, C): (N,) int64."""
        if x.dim() != 2:
            raise ValueError(f'features must have shape (N, C), got {tuple(x.shape)}')
        return self._assign_batched(x[None], centroids[None], None)[0]
