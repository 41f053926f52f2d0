"""Shared pure k-means helpers, plus the references the back-end tests import
(blobs, adjusted Rand index, plain numpy Lloyd)."""
import numpy as np
import pytest
import torch

from hp_mm.models.task_modules.clustering import kmeans_utils as ku


# ---------------------------------------------------------------- references (imported by the back-end tests)
def blobs(num_per_cluster=(60, 50, 40, 30), dim=8, spread=10.0, noise=0.5, seed=0):
    """Well-separated Gaussian blobs: (N, C) float32 points and (N,) int64 true labels."""
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(len(num_per_cluster), dim, generator=g) * spread
    xs, ys = [], []
    for k, n in enumerate(num_per_cluster):
        xs.append(centers[k] + noise * torch.randn(n, dim, generator=g))
        ys.append(torch.full((n, ), k, dtype=torch.int64))
    x, y = torch.cat(xs), torch.cat(ys)
    perm = torch.randperm(len(y), generator=g)
    return x[perm], y[perm]


def adjusted_rand_index(a, b) -> float:
    """Hubert & Arabie's adjusted Rand index of two labelings (numpy)."""
    a, b = np.asarray(a).ravel(), np.asarray(b).ravel()
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1), dtype=np.int64)
    np.add.at(table, (ai, bi), 1)

    def pairs(v):
        return (v * (v - 1) / 2).sum()

    index, rows, cols, total = pairs(table), pairs(table.sum(1)), pairs(table.sum(0)), pairs(
        np.array([a.size]))
    expected = rows * cols / total
    best = (rows + cols) / 2
    return 1.0 if best == expected else float((index - expected) / (best - expected))


def numpy_lloyd(x, init, num_iter):
    """Plain Lloyd in float64: ``num_iter`` (assign, mean) steps, then the labels of the
    final centroids. Asserts no cluster goes empty (the references avoid that case)."""
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(init, dtype=np.float64).copy()
    for _ in range(num_iter):
        lab = ((x[:, None] - c[None])**2).sum(-1).argmin(1)
        for k in range(len(c)):
            assert (lab == k).any(), 'reference case must not have empty clusters'
            c[k] = x[lab == k].mean(0)
    return c, ((x[:, None] - c[None])**2).sum(-1).argmin(1)


# ---------------------------------------------------------------- tests of the references
def test_adjusted_rand_index_hand_values():
    # sklearn's documented example: ARI([0, 0, 1, 1], [0, 0, 1, 2]) = 4/7
    assert adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(4 / 7)
    assert adjusted_rand_index([0, 0, 1, 1], [5, 5, 3, 3]) == 1.0  # label names do not matter
    assert adjusted_rand_index([0, 1, 0, 1], [0, 0, 1, 1]) == pytest.approx(-0.5)


# ---------------------------------------------------------------- kmeans_utils
def test_counter_uniform_is_per_problem_and_uniform():
    seeds = torch.tensor([0, 1, 7, -3, 2**40])
    u = ku.counter_uniform(seeds, torch.arange(5000))
    assert u.dtype == torch.float64 and u.shape == (5, 5000)
    assert ((u > 0) & (u < 1)).all()
    # a problem's numbers depend only on its own seed
    alone = ku.counter_uniform(seeds[2:3], torch.arange(5000))
    assert torch.equal(alone[0], u[2])
    # streams differ, rows differ, moments of U(0, 1)
    assert not torch.equal(ku.counter_uniform(seeds, torch.arange(5000), stream=1), u)
    assert not torch.equal(u[0], u[1])
    assert abs(float(u.mean()) - 0.5) < 0.01 and abs(float(u.var()) - 1 / 12) < 0.005


def test_check_features_errors_and_masking():
    x = torch.randn(10, 3)
    x[2, 1] = float('nan')
    x[7, 0] = float('inf')
    with pytest.raises(ValueError, match='2 of 10 rows are not finite'):
        ku.check_features(x, 3)
    with pytest.raises(ValueError, match=r'num_clusters=11 > number of points N=10'):
        ku.check_features(torch.randn(10, 3), 11)
    with pytest.raises(ValueError, match=r'shape \(N, C\)'):
        ku.check_features(torch.randn(10), 2)
    xb = torch.randn(2, 4, 3)
    xb[1, 3] = float('nan')  # in padding: ignored and zeroed
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.bool)
    out, m = ku.check_features(xb, 3, mask=mask, batched=True)
    assert torch.equal(out[1, 3], torch.zeros(3)) and torch.equal(m, mask)
    with pytest.raises(ValueError, match=r'problem\(s\) \[1\] \(they have \[3\] points\)'):
        ku.check_features(xb, 4, mask=mask, batched=True)


def test_squared_distances_and_nearest_centroid():
    x = torch.tensor([[[0., 0.], [3., 4.], [1., 1.]]])
    c = torch.tensor([[[0., 0.], [3., 3.]]])
    d = ku.squared_distances(x, c)
    assert torch.allclose(d, torch.tensor([[[0., 18.], [25., 1.], [2., 8.]]]))
    lab, dist = ku.nearest_centroid(x, c, chunk=2)   # two chunks
    assert lab.tolist() == [[0, 1, 0]] and torch.allclose(dist, torch.tensor([[0., 1., 2.]]))


def test_reseed_empty_rule_by_hand():
    x = torch.tensor([0., 0.1, 10., 10.1, 50.])[None, :, None]
    mask = torch.ones(1, 5, dtype=torch.bool)
    # init (0, 1000, 2000): every point goes to centroid 0; clusters 1 and 2 are empty and
    # take the farthest points 50 (d^2 2500) and 10.1 (d^2 102.01), in that order
    c, lab, steps = ku.lloyd(x, mask, torch.tensor([[[0.], [1000.], [2000.]]]), max_iter=1)
    assert steps == 1
    assert torch.allclose(c.flatten(), torch.tensor([70.2 / 5, 50., 10.1]))
    assert lab.tolist() == [[2, 2, 2, 2, 1]]  # assignment to the returned centroids


def test_kmeans_plusplus_picks_distinct_far_points():
    # two tight pairs far apart: k-means++ with K=2 must take one point of each pair
    x = torch.tensor([[0., 0.], [0.01, 0.], [100., 0.], [100.01, 0.]])[None]
    mask = torch.ones(1, 4, dtype=torch.bool)
    for s in range(10):
        c = ku.kmeans_plusplus(x, 2, mask, torch.tensor([s]))
        assert sorted((c[0, :, 0] > 50).tolist()) == [False, True]
    # masked points are never picked
    mask = torch.tensor([[True, False, True, False]])
    for s in range(10):
        c = ku.random_init(x, 2, mask, torch.tensor([s]))
        assert sorted(c[0, :, 0].tolist()) == [0.0, 100.0]


def test_pack_and_unpack_groups_roundtrip():
    values = torch.arange(6 * 2).reshape(6, 2)
    group_index = torch.tensor([1, 0, 1, 2, 1, 0])
    packed, mask = ku.pack_groups(values, group_index)
    assert packed.shape == (3, 3, 2)
    assert mask.tolist() == [[True, True, False], [True, True, True], [True, False, False]]
    assert packed[1, :, 0].tolist() == [0, 4, 8]  # group 1 = samples 0, 2, 4 in order
    assert packed[0, :2, 0].tolist() == [2, 10] and packed[0, 2].tolist() == [0, 0]
    assert torch.equal(ku.unpack_groups(packed, group_index), values)


def test_subsample_keeps_valid_points_only():
    x = torch.arange(40.).reshape(2, 20, 1)
    mask = torch.zeros(2, 20, dtype=torch.bool)
    mask[0, 5:15] = True      # 10 valid points > 6: drawn with replacement among them
    mask[1, [2, 9, 17]] = True  # 3 valid points <= 6: kept, each once
    xs, ms = ku.subsample(x, mask, 6, torch.tensor([3, 4]))
    assert xs.shape == (2, 6, 1) and ms[0].all() and ms[1].tolist() == [True] * 3 + [False] * 3
    assert ((xs[0] >= 5) & (xs[0] < 15)).all()
    assert xs[1, :3].flatten().tolist() == [22., 29., 37.]
