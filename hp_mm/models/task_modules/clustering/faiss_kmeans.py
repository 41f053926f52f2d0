"""k-means with faiss (``faiss.Clustering``, what ``faiss.Kmeans`` runs), CPU or GPU."""
import logging
import math
from typing import Optional, Tuple

import numpy as np
import torch
from mmengine.logging import print_log
from torch import Tensor

from hp_mm.registry import TASK_UTILS
from .base_kmeans import BaseKMeans
from .counter_rng import problem_seeds
from .kmeans_input import check_features


def faiss_has_gpu() -> bool:
    """Whether the installed faiss was built with GPU support and sees a GPU."""
    import faiss
    return hasattr(faiss, 'StandardGpuResources') and faiss.get_num_gpus() > 0


@TASK_UTILS.register_module()
class FaissKMeans(BaseKMeans):
    """k-means by faiss.

    ``fit`` runs ``faiss.Clustering(d, K, params).train(x, index)``, which is what
    ``faiss.Kmeans.train`` does, with the index placed at run time: a
    ``faiss.GpuIndexFlatL2`` on the features' own CUDA device when the features are
    on CUDA and faiss has GPU support (faiss-gpu), else a CPU ``faiss.IndexFlatL2``
    (faiss-cpu). The chosen device is logged once per device. (``faiss.Kmeans(gpu=True)``
    would spread over all GPUs, from every rank; the per-device index keeps each
    rank on its own GPU, as PiCIE's ``get_faiss_module`` does.)

    Differences from the torch back-ends: faiss runs exactly ``max_iter`` updates
    (no early stop) and handles empty clusters by its own rule: an empty cluster
    takes the centroid of a large cluster (drawn with probability growing with its
    size) with a small symmetric perturbation, splitting that cluster in two.
    The initialisation is computed by hp_mm (k-means++ or random, on the features'
    device, same as the torch back-ends) and handed to faiss, or ``init='faiss'``
    lets faiss draw random points with ``seed``.

    Args:
        num_clusters (int): K.
        max_iter (int): faiss ``niter``. Default 20.
        seed (int): Seed of the initialisation and of faiss' subsampling.
        init (str): 'k-means++' (default: greedy, as the torch back-ends), 'random' or
            'faiss'.
        max_points_per_centroid (int, optional): faiss subsamples the training set to
            ``K * max_points_per_centroid`` points when it is larger (faiss' own default
            is 256). None (default): all points are used.
        use_gpu (bool): Allow the GPU index when the features are on CUDA. Default True.
        verbose (bool): faiss' verbose output.
        n_local_trials (int, optional): Candidates per greedy k-means++ step
            (:class:`BaseKMeans`).

    Example:
        >>> km = TASK_UTILS.build(dict(type='FaissKMeans', num_clusters=27, max_iter=20, seed=0))
        >>> centroids, labels = km.fit(x)   # (N, C) -> (27, C) float32, (N,) int64
    """

    def __init__(self,
                 num_clusters: int,
                 max_iter: int = 20,
                 seed: int = 0,
                 init: str = 'k-means++',
                 max_points_per_centroid: Optional[int] = None,
                 use_gpu: bool = True,
                 verbose: bool = False,
                 n_local_trials: Optional[int] = None) -> None:
        super().__init__(num_clusters, max_iter, seed,
                         'k-means++' if init == 'faiss' else init, max_points_per_centroid,
                         n_local_trials=n_local_trials)
        self.init = init
        self.use_gpu = use_gpu
        self.verbose = verbose
        self._gpu_resources = {}
        self._logged_devices = set()
        #: device string ('cpu' or 'cuda:i') of the last fit / assign
        self.last_device = None

    def _index(self, dim: int, device: torch.device):
        """A flat L2 index on ``device`` when possible: (index, device string)."""
        import faiss
        if device.type == 'cuda' and self.use_gpu and faiss_has_gpu():
            ordinal = device.index if device.index is not None else torch.cuda.current_device()
            res = self._gpu_resources.get(ordinal)
            if res is None:
                res = self._gpu_resources[ordinal] = faiss.StandardGpuResources()
            cfg = faiss.GpuIndexFlatConfig()
            cfg.device = int(ordinal)
            cfg.useFloat16 = False
            index, where = faiss.GpuIndexFlatL2(res, dim, cfg), f'cuda:{ordinal}'
        else:
            index, where = faiss.IndexFlatL2(dim), 'cpu'
        if where not in self._logged_devices:
            self._logged_devices.add(where)
            reason = '' if where != 'cpu' or device.type != 'cuda' else \
                ' (features on CUDA but faiss has no GPU support: install faiss-gpu)'
            print_log(f'FaissKMeans: faiss index on {where}{reason}', logger='current',
                      level=logging.INFO)
        self.last_device = where
        return index

    def _params(self, num_points: int):
        import faiss
        cp = faiss.ClusteringParameters()
        cp.niter = self.max_iter
        cp.seed = self.seed
        cp.nredo = 1
        cp.verbose = self.verbose
        cp.min_points_per_centroid = 1  # no "please provide at least ..." warning
        mppc = self.max_points_per_centroid
        cp.max_points_per_centroid = int(mppc) if mppc is not None else \
            min(math.ceil(num_points / self.num_clusters) + 1, 2**31 - 1)
        return cp

    def fit(self, x: Tensor, init_centroids: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Cluster ``x``.

        Args:
            x (Tensor): (N, C) float features (any device).
            init_centroids (Tensor, optional): (K, C) starting centroids.

        Returns:
            tuple: centroids (K, C) float32 and labels (N,) int64 (nearest returned
            centroid), on ``x.device``.

        Raises:
            ValueError: non-finite rows (with their count) or K > N.
        """
        import faiss
        x3, mask = check_features(x, self.num_clusters)
        K, (N, C) = self.num_clusters, x3.shape[1:]
        if init_centroids is not None:
            init = self._check_init(init_centroids, (K, C), x3.device)
        elif self.init == 'faiss':
            init = None
        else:
            seeds = problem_seeds(self.seed, 1, device=x3.device)
            init = self.initial_centroids(x3, mask, seeds)[0]
        x_np = np.ascontiguousarray(x3[0].detach().cpu().numpy(), dtype=np.float32)
        clus = faiss.Clustering(C, K, self._params(N))
        if init is not None:
            faiss.copy_array_to_vector(
                np.ascontiguousarray(init.detach().cpu().numpy(), dtype=np.float32).ravel(),
                clus.centroids)
        index = self._index(C, x3.device)
        clus.train(x_np, index)
        self.n_iter_ = self.max_iter
        centroids = faiss.vector_float_to_array(clus.centroids).reshape(K, C).copy()
        labels = self._search(index, centroids, x_np)
        return (torch.from_numpy(centroids).to(x3.device),
                torch.from_numpy(labels).to(x3.device))

    @staticmethod
    def _search(index, centroids: np.ndarray, x_np: np.ndarray) -> np.ndarray:
        index.reset()
        index.add(np.ascontiguousarray(centroids, dtype=np.float32))
        _, idx = index.search(x_np, 1)
        return idx.reshape(-1).astype(np.int64)

    def assign(self, x: Tensor, centroids: Tensor) -> Tensor:
        """Nearest centroid (squared L2, faiss search) of each row of ``x`` (N, C):
        (N,) int64 on ``x.device``."""
        x3, _ = check_features(x, 1)
        c = torch.as_tensor(centroids).float()
        if c.dim() != 2 or c.shape[1] != x3.shape[2]:
            raise ValueError(f'centroids must have shape (K, C={x3.shape[2]}), got {tuple(c.shape)}')
        x_np = np.ascontiguousarray(x3[0].detach().cpu().numpy(), dtype=np.float32)
        index = self._index(x3.shape[2], x3.device)
        labels = self._search(index, c.detach().cpu().numpy(), x_np)
        return torch.from_numpy(labels).to(x3.device)
