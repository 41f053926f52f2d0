"""k-means back-ends (TASK_UTILS) with one call contract, and their shared pure helpers."""
from .base_kmeans import BaseKMeans
from .batched_kmeans import BatchedKMeans
from .cascaded_clustering import CascadedClustering, cascaded_clustering  # noqa: F401  (ISP)
from .faiss_kmeans import FaissKMeans
from .group_packing import pack_groups, unpack_groups
from .mini_batch_kmeans import MiniBatchKMeans
from .torch_kmeans import TorchKMeans

__all__ = [
    'BaseKMeans', 'TorchKMeans', 'BatchedKMeans', 'FaissKMeans', 'MiniBatchKMeans', 'pack_groups',
    'unpack_groups'
]
