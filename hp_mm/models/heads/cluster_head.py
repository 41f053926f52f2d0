"""PiCIE's non-parametric cluster classifier: frozen centroids per view and the cluster loss."""
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule

from hp_mm.registry import MODELS
from hp_mm.structures.pixel_clusters import cluster_logits, cluster_loss


@MODELS.register_module()
class ClusterHead(BaseModule):
    """Centroids mu^1, mu^2 (buffers, set by the clustering hook) and L_view.

    ``loss`` is PiCIE's (``train_picie.py``)::

        L_within = (L(y1, mu1, z1) + L(y2, mu2, z2)) / 2        # C²L eq. 7 (as a mean)
        L_cross  = (L(y1, mu2, z2) + L(y2, mu1, z1)) / 2        # PiCIE's cross-view term
        L_view   = (L_within + L_cross) / 2   if cross_view else   L_within

    with L the cluster loss :func:`hp_mm.structures.cluster_loss` (l2-normalised
    features, logits = dot products with the frozen centroids, cross-entropy to the
    nearest-centroid labels, optionally weighted by the cluster frequency). The views'
    features are spatially aligned (the geometric transform G was applied), so z1 and
    z2 index the same pixels.

    ``predict`` gives the logits against ``mu^{predict_view}`` (PiCIE evaluates with
    ``classifier1``).

    Note:
        B: batch size. C: ``channels``. K: ``num_classes`` (clusters). H, W: feature size.

    Args:
        num_classes (int): K, the number of clusters (the test configs check it
            against the dataset's classes). Defaults to 3.
        channels (int): C. Defaults to 128.
        cross_view (bool): Add PiCIE's cross-view term. Defaults to True.
        balance (bool): Weight the loss by the cluster frequencies the hook
            measured (PiCIE's default; ``--no_balance`` = False). Defaults to True.
        predict_view (int): Centroids used by ``predict``: 1 or 2. Defaults to 1.
        loss_weight (float): Weight of L_view. Defaults to 1.0.
        ignore_index (int): Pseudo-label value ignored. Defaults to 255.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 num_classes: int = 3,
                 channels: int = 128,
                 cross_view: bool = True,
                 balance: bool = True,
                 predict_view: int = 1,
                 loss_weight: float = 1.0,
                 ignore_index: int = 255,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if predict_view not in (1, 2):
            raise ValueError(f'ClusterHead: predict_view must be 1 or 2, got {predict_view}')
        self.num_classes = num_classes
        self.channels = channels
        self.cross_view = cross_view
        self.balance = balance
        self.predict_view = predict_view
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self.register_buffer('centroids', torch.zeros(2, num_classes, channels))
        self.register_buffer('cluster_weight', torch.full((2, num_classes), 1.0 / num_classes))
        self.register_buffer('num_updates', torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def set_centroids(self, view: int, centroids: torch.Tensor,
                      counts: Optional[torch.Tensor] = None) -> None:
        """Copy a view's centroids (and the frequency weights from its label counts) in place.

        Args:
            view (int): 1 or 2.
            centroids (Tensor): Shape (K, C).
            counts (Tensor, optional): Pixels per cluster, shape (K,), for the
                balance weight. Defaults to None (keep the current weights).
        """
        if view not in (1, 2):
            raise ValueError(f'view must be 1 or 2, got {view}')
        if tuple(centroids.shape) != tuple(self.centroids.shape[1:]):
            raise ValueError(f'centroids must have shape {tuple(self.centroids.shape[1:])}, '
                             f'got {tuple(centroids.shape)}')
        self.centroids[view - 1].copy_(centroids)
        if counts is not None:
            counts = torch.as_tensor(counts, dtype=torch.float32).to(self.cluster_weight)
            self.cluster_weight[view - 1].copy_(counts / counts.sum().clamp_min(1))
        self.num_updates += 1

    def _check_ready(self) -> None:
        if int(self.num_updates) == 0:
            raise RuntimeError('ClusterHead has no centroids yet: add the clustering hook to '
                               "the config, default_hooks = dict(clustering=dict("
                               "type='C2LClusteringHook', ...)) (it clusters before every "
                               'training epoch), or load a trained checkpoint')

    def loss(self, feats1: torch.Tensor, feats2: torch.Tensor, labels1: torch.Tensor,
             labels2: torch.Tensor) -> Dict[str, torch.Tensor]:
        """L_view of the two aligned views.

        Args:
            feats1 (Tensor): y^1, shape (B, C, H, W).
            feats2 (Tensor): y^2, shape (B, C, H, W).
            labels1 (Tensor): z^1, shape (B, H, W).
            labels2 (Tensor): z^2, shape (B, H, W).

        Returns:
            dict[str, Tensor]: ``loss_view`` (summed by mmengine) and the logged-only
            ``view_within`` / ``view_cross``.
        """
        self._check_ready()
        mu1, mu2 = self.centroids[0], self.centroids[1]
        w1 = self.cluster_weight[0] if self.balance else None
        w2 = self.cluster_weight[1] if self.balance else None
        ign = self.ignore_index
        within = (cluster_loss(feats1, mu1, labels1, w1, ign)
                  + cluster_loss(feats2, mu2, labels2, w2, ign)) / 2
        out = dict(view_within=within.detach())
        total = within
        if self.cross_view:
            cross = (cluster_loss(feats1, mu2, labels2, w2, ign)
                     + cluster_loss(feats2, mu1, labels1, w1, ign)) / 2
            out['view_cross'] = cross.detach()
            total = (within + cross) / 2
        out['loss_view'] = self.loss_weight * total
        return out

    def predict(self, feats: torch.Tensor) -> torch.Tensor:
        """Cluster logits of features.

        Args:
            feats (Tensor): Shape (B, C, H, W).

        Returns:
            Tensor: Logits against ``mu^{predict_view}``, shape (B, K, H, W).
        """
        self._check_ready()
        return cluster_logits(feats, self.centroids[self.predict_view - 1])
