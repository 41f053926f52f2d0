"""FaissKMeans: planted clusters, numpy Lloyd reference, faiss' empty-cluster rule, errors."""
import pytest
import torch

from hp_mm.models.task_modules import FaissKMeans, TorchKMeans
from hp_mm.registry import TASK_UTILS
from kmeans_reference import adjusted_rand_index, blobs, numpy_lloyd


def test_recovers_planted_blobs():
    x, y = blobs()
    km = TASK_UTILS.build(dict(type='FaissKMeans', num_clusters=4, max_iter=20, seed=0))
    centroids, labels = km.fit(x)
    assert centroids.shape == (4, 8) and centroids.dtype == torch.float32
    assert labels.shape == (180, ) and labels.dtype == torch.int64
    assert adjusted_rand_index(y, labels) >= 0.99
    assert km.last_device == 'cpu'  # faiss-cpu here; a CUDA input with faiss-gpu -> 'cuda:i'
    assert torch.equal(km.assign(x, centroids), labels)
    assert torch.equal(TorchKMeans(4).assign(x, centroids), labels)


def test_faiss_own_random_init_is_seeded():
    x, _ = blobs()
    c1, l1 = FaissKMeans(4, init='faiss', seed=3).fit(x)
    c2, l2 = FaissKMeans(4, init='faiss', seed=3).fit(x)
    assert torch.equal(c1, c2) and torch.equal(l1, l2)
    assert (torch.bincount(l1, minlength=4) > 0).all()


def test_matches_numpy_lloyd_from_the_same_init():
    x, _ = blobs(num_per_cluster=(80, 80, 80), dim=4, spread=1.5, noise=1.0, seed=1)
    init = x[[0, 1, 2]]
    for steps in (1, 3, 30):
        ref_c, ref_l = numpy_lloyd(x.numpy(), init.numpy(), steps)
        c, lab = FaissKMeans(3, max_iter=steps).fit(x, init_centroids=init)
        torch.testing.assert_close(c, torch.from_numpy(ref_c).float(), atol=1e-4, rtol=1e-4)
        assert torch.equal(lab, torch.from_numpy(ref_l))
        # and the torch back-end walks the same path
        ct, lt = TorchKMeans(3, max_iter=steps).fit(x, init_centroids=init)
        torch.testing.assert_close(c, ct, atol=1e-4, rtol=1e-4)


def test_empty_cluster_is_split_by_faiss():
    # a duplicated initial centroid leaves one cluster empty; faiss' rule splits a large
    # cluster, so the fit still ends with 3 non-empty clusters on the 3 blobs
    x, y = blobs(num_per_cluster=(60, 60, 60), dim=4, seed=4)
    init = x[[0, 0, 1]]
    c, lab = FaissKMeans(3, max_iter=20).fit(x, init_centroids=init)
    assert (torch.bincount(lab, minlength=3) > 0).all()
    assert torch.cdist(c, c)[~torch.eye(3, dtype=torch.bool)].min() > 1.0
    assert adjusted_rand_index(y, lab) >= 0.99


def test_bad_features_raise():
    x = torch.randn(40, 3)
    x[5, 0] = float('nan')
    with pytest.raises(ValueError, match='1 of 40 rows are not finite'):
        FaissKMeans(2).fit(x)
    with pytest.raises(ValueError, match='num_clusters=9 > number of points N=8'):
        FaissKMeans(9).fit(torch.randn(8, 3))
