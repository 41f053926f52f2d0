"""Many small independent k-means problems solved together (ISP: one per identity)."""
from typing import Optional, Tuple

from torch import Tensor

from hp_mm.registry import TASK_UTILS
from .base_kmeans import BaseKMeans
from .kmeans_input import check_features


@TASK_UTILS.register_module()
class BatchedKMeans(BaseKMeans):
    """B independent k-means problems, padded to N points and masked, solved with
    batched tensor operations (no Python loop over problems).

    Every problem has its own seed (``seeds``, default ``seed + arange(B)``) and the
    random numbers come from a counter-based generator, so a problem's result
    depends only on its points and its seed: solving B problems together gives the
    same labels as solving each alone (pass ``seeds`` = e.g. identity ids to make
    the result independent of how problems are batched). Lloyd stops when no label
    of any problem changes (problems already at a fixed point stay there). Options
    and the empty-cluster rule: :class:`BaseKMeans`.

    Note:
        B: problems, N: padded points per problem, C: channels, K: clusters.

    Example:
        >>> bkm = TASK_UTILS.build(dict(type='BatchedKMeans', num_clusters=6, max_iter=20, seed=0))
        >>> centroids, labels = bkm.fit(x, mask)   # (B, N, C), (B, N) -> (B, 6, C), (B, N)
    """

    def fit(self,
            x: Tensor,
            mask: Optional[Tensor] = None,
            init_centroids: Optional[Tensor] = None,
            seeds: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Cluster every problem of ``x``.

        Args:
            x (Tensor): (B, N, C) float features (padded rows may hold anything).
            mask (Tensor, optional): (B, N) bool, True for real points. Default all.
            init_centroids (Tensor, optional): (B, K, C) starting centroids.
            seeds (Tensor, optional): (B,) int64 per-problem seeds.

        Returns:
            tuple: centroids (B, K, C) float32 and labels (B, N) int64 with -1 where
            ``mask`` is False, on ``x.device``.

        Raises:
            ValueError: non-finite valid rows (count and problems given) or a problem
                with fewer valid points than K.
        """
        x3, mask3 = check_features(x, self.num_clusters, mask=mask, batched=True)
        return self._fit_batched(x3, mask3, init_centroids, seeds)

    def assign(self, x: Tensor, centroids: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        """Nearest centroid of each point: x (B, N, C), centroids (B, K, C) -> (B, N)
        int64, -1 where ``mask`` is False."""
        return self._assign_batched(x, centroids, mask)
