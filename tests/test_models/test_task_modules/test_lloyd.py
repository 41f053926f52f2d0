"""Batched Lloyd pieces: nearest centroid in row chunks, the empty-cluster rule by hand."""
import torch

from hp_mm.models.task_modules.clustering.lloyd import cluster_sums, lloyd, nearest_centroid


def test_nearest_centroid_in_chunks_and_masked():
    x = torch.tensor([[[0., 0.], [3., 4.], [1., 1.]]])
    c = torch.tensor([[[0., 0.], [3., 3.]]])
    lab, dist = nearest_centroid(x, c, chunk=2)   # two chunks
    assert lab.tolist() == [[0, 1, 0]] and torch.allclose(dist, torch.tensor([[0., 1., 2.]]))
    lab, dist = nearest_centroid(x, c, mask=torch.tensor([[True, False, True]]))
    assert lab.tolist() == [[0, -1, 0]] and torch.allclose(dist, torch.tensor([[0., 0., 2.]]))


def test_cluster_sums_by_hand():
    x = torch.tensor([[[0., 0.], [3., 4.], [1., 1.], [4., 4.]]])
    c = torch.tensor([[[0., 0.], [3., 3.]]])
    mask = torch.tensor([[True, True, True, False]])
    lab, dist, sums, counts = cluster_sums(x, c, mask)
    assert lab.tolist() == [[0, 1, 0, -1]] and counts.tolist() == [[2, 1]]
    assert sums.tolist() == [[[1., 1.], [3., 4.]]]    # the masked (4, 4) counts nowhere


def test_reseed_empty_rule_by_hand():
    x = torch.tensor([0., 0.1, 10., 10.1, 50.])[None, :, None]
    mask = torch.ones(1, 5, dtype=torch.bool)
    # init (0, 1000, 2000): every point goes to centroid 0; clusters 1 and 2 are empty and
    # take the farthest points 50 (d^2 2500) and 10.1 (d^2 102.01), in that order
    c, lab, steps = lloyd(x, mask, torch.tensor([[[0.], [1000.], [2000.]]]), max_iter=1)
    assert steps == 1
    assert torch.allclose(c.flatten(), torch.tensor([70.2 / 5, 50., 10.1]))
    assert lab.tolist() == [[2, 2, 2, 2, 1]]  # assignment to the returned centroids


def test_lloyd_stops_at_a_fixed_point():
    x = torch.tensor([0., 1., 10., 11.])[None, :, None]
    mask = torch.ones(1, 4, dtype=torch.bool)
    c, lab, steps = lloyd(x, mask, torch.tensor([[[0.], [11.]]]), max_iter=20)
    # update 1 moves the centroids to 0.5 / 10.5; update 2 finds the same labels: stop
    assert steps == 1 and c.flatten().tolist() == [0.5, 10.5] and lab.tolist() == [[0, 0, 1, 1]]
