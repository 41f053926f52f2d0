"""TorchKMeans: planted clusters, numpy Lloyd reference, empty-cluster rule, errors."""
import pytest
import torch

from hp_mm.models.task_modules import TorchKMeans
from hp_mm.registry import TASK_UTILS
from kmeans_reference import adjusted_rand_index, blobs, numpy_lloyd


def test_recovers_planted_blobs():
    x, y = blobs()
    init = 'k-means++'
    km = TASK_UTILS.build(dict(type='TorchKMeans', num_clusters=4, max_iter=20, seed=0))
    centroids, labels = km.fit(x)
    assert centroids.shape == (4, 8) and centroids.dtype == torch.float32
    assert labels.shape == (180, ) and labels.dtype == torch.int64
    assert adjusted_rand_index(y, labels) >= 0.99
    assert torch.equal(km.assign(x, centroids), labels)
    # same seed, same result; the early stop happened at a fixed point
    c2, l2 = TorchKMeans(4, seed=0, init=init).fit(x)
    assert torch.equal(c2, centroids) and torch.equal(l2, labels)
    assert km.n_iter_ < 20


def test_random_init_draws_distinct_points_per_seed():
    x, _ = blobs()
    km = TorchKMeans(4, max_iter=0, init='random')
    c0, _ = km.fit(x)                       # max_iter=0: the initial centroids
    rows = [int((x == c).all(1).nonzero()) for c in c0]
    assert len(set(rows)) == 4
    c1, _ = TorchKMeans(4, max_iter=0, init='random', seed=1).fit(x)
    assert not torch.equal(c0, c1)


def test_matches_numpy_lloyd_from_the_same_init():
    # overlapping blobs: Lloyd needs several steps, compare before convergence too
    x, _ = blobs(num_per_cluster=(80, 80, 80), dim=4, spread=1.5, noise=1.0, seed=1)
    init = x[[0, 1, 2]]
    for steps in (1, 3, 50):
        ref_c, ref_l = numpy_lloyd(x.numpy(), init.numpy(), steps)
        c, lab = TorchKMeans(3, max_iter=steps).fit(x, init_centroids=init)
        torch.testing.assert_close(c, torch.from_numpy(ref_c).float(), atol=1e-4, rtol=1e-4)
        assert torch.equal(lab, torch.from_numpy(ref_l))


def test_empty_cluster_is_reseeded_at_the_farthest_point():
    x = torch.tensor([[0.], [0.1], [10.], [10.1], [50.]])
    km = TorchKMeans(3, max_iter=1)
    # init (0, 10, 1000): cluster 2 is empty; the farthest point from its centroid is 50
    c, _ = km.fit(x, init_centroids=torch.tensor([[0.], [10.], [1000.]]))
    torch.testing.assert_close(c.flatten(), torch.tensor([0.05, 70.1 / 3, 50.]))
    # run to convergence: three non-empty clusters
    c, lab = TorchKMeans(3, max_iter=20).fit(x, init_centroids=torch.tensor([[0.], [10.], [1000.]]))
    torch.testing.assert_close(c.flatten(), torch.tensor([0.05, 10.05, 50.]))
    assert lab.tolist() == [0, 0, 1, 1, 2]


def test_bad_features_raise():
    x = torch.randn(50, 3)
    x[[3, 9, 11]] = float('nan')
    with pytest.raises(ValueError, match='3 of 50 rows are not finite'):
        TorchKMeans(4).fit(x)
    with pytest.raises(ValueError, match='num_clusters=6 > number of points N=5'):
        TorchKMeans(6).fit(torch.randn(5, 3))
    with pytest.raises(ValueError, match='init must be'):
        TorchKMeans(2, init='kmeans')
