"""PiCIE / C²L per-epoch clustering: mini-batch k-means per view, centroids as model buffers."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce
from mmengine.model import is_model_wrapper

from hp_mm.datasets.transforms.two_view import set_view_epoch
from hp_mm.registry import HOOKS, TASK_UTILS
from .per_epoch_clustering_hook import PerEpochClusteringHook


@HOOKS.register_module()
class C2LClusteringHook(PerEpochClusteringHook):
    """C²L Algorithm 1 / eq. 6 (PiCIE ``run_mini_batch_kmeans`` + ``compute_labels``).

    Before each clustering epoch (``before_train_epoch``, epoch 0 included):

    1. ``set_view_epoch``: the :class:`GenerateTwoViews` of the extraction and the
       training datasets produce this epoch's views (seeded by the run's
       ``randomness.seed``), so both passes below and the training epoch see the same
       P^1, P^2, G of every sample.
    2. Pass 1 (gathered, identical on every rank): the l2-normalised pixel features
       ``y^1 = S(G(f(P^1 x)))`` and ``y^2 = S(f(G(P^2 x)))`` of consecutive buffers of
       ``buffer_size`` images (paper: 192) feed one mini-batch k-means per view
       (``MiniBatchKMeans``: a full k-means on the first ``num_init_buffers`` buffers,
       then Sculley count-based updates; PiCIE's ``num_init_batches``/``num_batches``).
    3. Pass 2 (each rank its shard): nearest-centroid labels z^1, z^2 of every pixel,
       written to the stores ``view1`` / ``view2`` (read back in training by
       ``LoadPseudoLabels(store='view1', key='gt_pseudo_seg_1', resize_to_img=False)``
       and the same for view 2), and the cluster pixel counts (all-reduced).
    4. The centroids mu^1, mu^2 and the frequency weights go into the model's
       ``decode_head`` (``ClusterHead.set_centroids``: buffers, saved in checkpoints,
       bitwise equal on every rank).

    Features are extracted in ``eval()``: PiCIE runs its k-means pass in ``train()``
    mode, where the labelled features are normalised with batch statistics and the
    pass updates the BN running statistics as a side effect. :meth:`cluster` returns
    ``clustering/buffers``, the k-means loss (mean squared distance of a pixel to its
    centroid) ``clustering/kmeans_loss_view1|2`` and ``clustering/empty_clusters_view1|2``,
    logged by the base class with ``clustering/time`` and ``clustering/share``. The
    views' epoch is checkpointed (:meth:`extra_state`), so a resumed run trains on the
    views its restored labels were computed on.

    Args:
        buffer_size (int): Images per k-means buffer. Defaults to 192 (paper).
        num_init_buffers (int): Buffers pooled for the initial k-means. Defaults to 1.
        kmeans (dict): ``MiniBatchKMeans`` config (``num_clusters`` and ``seed`` are
            filled in: K = ``decode_head.num_classes``, seed = ``seed + epoch``).
        seed (int, optional): Base seed of the k-means. Defaults to None: the run's
            ``randomness.seed`` (``runner.seed``).
        cache_features (bool): Keep pass 1's features (all of them, in
            ``buffer_device`` memory) and label them instead of a second extraction
            pass: the same labels (the model and the views do not change in between)
            for half the extraction time; for small datasets (the CPU configs).
            Defaults to False (PiCIE's two passes).
        **kwargs: :class:`PerEpochClusteringHook` arguments (``pipeline``: the
            two-view pipeline without ``LoadPseudoLabels``; ``dataloader``; ``interval``;
            ``stop_epoch``; ...).
    """
    stores = ('view1', 'view2')

    def __init__(self,
                 buffer_size: int = 192,
                 num_init_buffers: int = 1,
                 kmeans: dict = dict(type='MiniBatchKMeans', kmeans=dict(type='FaissKMeans',
                                                                         max_iter=20)),
                 seed: Optional[int] = None,
                 cache_features: bool = False,
                 **kwargs) -> None:
        kwargs.setdefault('stores', self.stores)
        super().__init__(**kwargs)
        if buffer_size < 1 or num_init_buffers < 1:
            raise ValueError(f'C2LClusteringHook: buffer_size and num_init_buffers must be >= 1, '
                             f'got {buffer_size}, {num_init_buffers}')
        self.buffer_size = buffer_size
        self.num_init_buffers = num_init_buffers
        self.kmeans_cfg = dict(kmeans)
        self.seed = seed
        self.cache_features = cache_features
        #: the epoch whose views the current labels belong to (checkpointed)
        self._view_epoch: Optional[int] = None

    @staticmethod
    def _head(model):
        if is_model_wrapper(model):
            model = model.module
        head = getattr(model, 'decode_head', None)
        if head is None or not hasattr(head, 'set_centroids'):
            raise TypeError('C2LClusteringHook needs a model whose decode_head has '
                            'set_centroids (C2L with a ClusterHead)')
        return head

    @staticmethod
    def _pixels(feats: torch.Tensor) -> torch.Tensor:
        """(n, C, h, w) -> (n*h*w, C) float32."""
        return feats.permute(0, 2, 3, 1).reshape(-1, feats.shape[1]).float()

    def extract(self, model, data_batch: dict) -> Dict[str, torch.Tensor]:
        """The l2-normalised features of both views, (B, C, h, w) each."""
        data = model.data_preprocessor(data_batch, False)
        y1, y2 = model.extract_view_features(data['inputs'], data['data_samples'])
        return dict(feats1=F.normalize(y1, dim=1), feats2=F.normalize(y2, dim=1))

    def cluster(self, runner) -> Dict[str, float]:
        """Mini-batch k-means per view, labels for every pixel, centroids into the model;
        returns the statistics to log (see the class docstring)."""
        epoch = runner.epoch
        self._set_views(runner, epoch)
        head = self._head(runner.model)
        k = head.num_classes
        base_seed = int(runner.seed if self.seed is None else self.seed)
        mbs = [
            TASK_UTILS.build(dict(self.kmeans_cfg, num_clusters=k, seed=base_seed + epoch))
            for _ in range(2)
        ]
        pending = {1: [], 2: []}
        n_buffers = 0
        cache = [] if self.cache_features else None
        for buf in self.iter_buffers(self.buffer_size):  # pass 1, gathered
            n_buffers += 1
            if cache is not None:
                cache.append(buf)
            for v in (1, 2):
                pending[v].append(self._pixels(buf[f'feats{v}']))
                if n_buffers >= self.num_init_buffers:
                    mbs[v - 1].partial_fit(torch.cat(pending[v]))
                    pending[v] = []
        for v in (1, 2):  # fewer buffers than num_init_buffers: fit on what there is
            if pending[v]:
                mbs[v - 1].partial_fit(torch.cat(pending[v]))
        centroids = [self.broadcast_(mb.centroids.to(self.device).contiguous()) for mb in mbs]
        counts = torch.zeros(2, k, dtype=torch.float64, device=self.device)
        inertia = torch.zeros(2, dtype=torch.float64, device=self.device)
        n_pixels = torch.zeros((), dtype=torch.float64, device=self.device)

        def label(batch, write):
            nonlocal n_pixels
            for v in (1, 2):
                feats = batch[f'feats{v}']
                n, _, h, w = feats.shape
                x = self._pixels(feats).to(self.device)
                labels = mbs[v - 1].assign(x, centroids[v - 1])
                inertia[v - 1] += (x - centroids[v - 1][labels]).pow(2).sum().double()
                counts[v - 1] += torch.bincount(labels, minlength=k).double()
                if write:
                    self.write_labels(batch['sample_idx'], labels.reshape(n, h, w),
                                      store=f'view{v}')
            n_pixels += n * h * w

        if cache is not None:  # every rank holds every sample: rank 0 writes
            for batch in cache:
                label(batch, write=self.rank == 0)
        else:
            for batch in self.iter_batches(gather=False):  # pass 2, each rank its shard
                label(batch, write=True)
            all_reduce(counts)
            all_reduce(inertia)
            all_reduce(n_pixels)
        for v in (1, 2):
            head.set_centroids(v, centroids[v - 1], counts[v - 1].float())
        self._view_epoch = epoch
        stats = {'clustering/buffers': float(n_buffers)}
        for v in (1, 2):
            stats[f'clustering/kmeans_loss_view{v}'] = float(inertia[v - 1] /
                                                             n_pixels.clamp_min(1))
            stats[f'clustering/empty_clusters_view{v}'] = float((counts[v - 1] == 0).sum())
        return stats

    def _set_views(self, runner, epoch: int) -> None:
        """Make the extraction and training pipelines produce the views of ``epoch``."""
        if set_view_epoch(self.dataset, epoch, runner.seed) == 0:
            raise ValueError('C2LClusteringHook: the extraction pipeline has no GenerateTwoViews')
        if set_view_epoch(runner.train_dataloader.dataset, epoch, runner.seed) == 0:
            raise ValueError('C2LClusteringHook: the training pipeline has no GenerateTwoViews')

    def before_train(self, runner) -> None:
        """Build the extraction loader (base class); after a resume, restore the views
        that the checkpointed labels were computed on."""
        super().before_train(runner)
        if self._view_epoch is not None:
            self._set_views(runner, self._view_epoch)

    def extra_state(self) -> dict:
        """The epoch of the labels' views (the centroids are model buffers)."""
        return {} if self._view_epoch is None else dict(view_epoch=int(self._view_epoch))

    def load_extra_state(self, state: dict) -> None:
        """Restore :meth:`extra_state`."""
        if 'view_epoch' in state:
            self._view_epoch = int(state['view_epoch'])
