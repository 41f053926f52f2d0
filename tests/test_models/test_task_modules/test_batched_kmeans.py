"""BatchedKMeans: many masked problems at once == each alone; planted clusters; reference."""
import pytest
import torch

from hp_mm.models.task_modules import BatchedKMeans, TorchKMeans, pack_groups
from hp_mm.registry import TASK_UTILS
from kmeans_reference import adjusted_rand_index, blobs, numpy_lloyd


def _problems():
    """Three blob problems of 100, 140 and 70 points (K = 3), padded to 140."""
    sets = [blobs((40, 30, 30), dim=6, seed=1), blobs((50, 50, 40), dim=6, seed=2),
            blobs((30, 20, 20), dim=6, seed=3)]
    values = torch.cat([s[0] for s in sets])
    group_index = torch.cat([torch.full((len(s[1]), ), i) for i, s in enumerate(sets)])
    x, mask = pack_groups(values, group_index)
    x[~mask] = float('nan')  # padding content must not matter
    return x, mask, sets


def test_recovers_planted_blobs_per_problem():
    x, mask, sets = _problems()
    bkm = TASK_UTILS.build(dict(type='BatchedKMeans', num_clusters=3, max_iter=20, seed=0))
    centroids, labels = bkm.fit(x, mask)
    assert centroids.shape == (3, 3, 6) and labels.shape == (3, 140)
    assert labels.dtype == torch.int64 and (labels[~mask] == -1).all()
    for b, (_, y) in enumerate(sets):
        assert adjusted_rand_index(y, labels[b, :len(y)]) >= 0.99
    assert torch.equal(bkm.assign(x, centroids, mask), labels)


def test_batched_equals_each_problem_alone():
    x, mask, sets = _problems()
    seeds = torch.tensor([11, 5, 42])
    centroids, labels = BatchedKMeans(3, seed=0).fit(x, mask, seeds=seeds)
    # each problem alone (unpadded), with its own seed: same labels; TorchKMeans with
    # that seed walks the same path
    for b, (xb, _) in enumerate(sets):
        cb, lb = BatchedKMeans(3).fit(xb[None], seeds=seeds[b:b + 1])
        assert torch.equal(lb[0], labels[b, :len(xb)])
        torch.testing.assert_close(cb[0], centroids[b], atol=1e-5, rtol=1e-5)
        ct, lt = TorchKMeans(3, seed=int(seeds[b])).fit(xb)
        assert torch.equal(lt, labels[b, :len(xb)])
    # reordering the batch changes nothing
    perm = torch.tensor([2, 0, 1])
    c2, l2 = BatchedKMeans(3).fit(x[perm], mask[perm], seeds=seeds[perm])
    assert torch.equal(l2, labels[perm])


def test_matches_numpy_lloyd_per_problem_from_the_same_init():
    x, mask, sets = _problems()
    init = torch.stack([s[0][:3] for s in sets])      # first three points of each problem
    for steps in (1, 2, 30):
        c, lab = BatchedKMeans(3, max_iter=steps).fit(x, mask, init_centroids=init)
        for b, (xb, _) in enumerate(sets):
            ref_c, ref_l = numpy_lloyd(xb.numpy(), init[b].numpy(), steps)
            torch.testing.assert_close(c[b], torch.from_numpy(ref_c).float(), atol=1e-4, rtol=1e-4)
            assert lab[b, :len(xb)].tolist() == ref_l.tolist()


def test_subsampled_iterations_still_label_every_point():
    x, mask, sets = _problems()
    c, lab = BatchedKMeans(3, max_points_per_centroid=10).fit(x, mask)
    assert (lab[mask] >= 0).all() and (lab[~mask] == -1).all()
    for b, (_, y) in enumerate(sets):
        assert adjusted_rand_index(y, lab[b, :len(y)]) >= 0.99


def test_bad_input_raises():
    x, mask, _ = _problems()
    with pytest.raises(ValueError, match=r'problem\(s\) \[2\]'):
        BatchedKMeans(80).fit(x, mask)           # problem 2 has 70 points
    x[1, 5, 2] = float('inf')
    with pytest.raises(ValueError, match=r'1 of 310 rows are not finite.*problems \[1\]'):
        BatchedKMeans(3).fit(x, mask)
    with pytest.raises(ValueError, match='seeds has 2 entries for 3 problems'):
        BatchedKMeans(3).fit(x.nan_to_num(), mask, seeds=torch.tensor([1, 2]))
