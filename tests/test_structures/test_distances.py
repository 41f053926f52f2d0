"""Pairwise squared Euclidean distances: hand values, batched == per problem, clamp at 0."""
import pytest
import torch

from hp_mm.structures.distances import squared_euclidean_distances, squared_norms


def test_hand_values_2d_and_batched():
    x = torch.tensor([[0., 0.], [3., 4.], [1., 1.]])
    y = torch.tensor([[0., 0.], [3., 3.]])
    want = torch.tensor([[0., 18.], [25., 1.], [2., 8.]])
    close = dict(rtol=1e-6, atol=1e-5)  # ||x||^2 comes from a norm: not exact in float32
    torch.testing.assert_close(squared_euclidean_distances(x, y), want, **close)
    xb = torch.stack([x, x + 1])
    yb = torch.stack([y, y + 1])   # the same geometry shifted: same distances
    torch.testing.assert_close(squared_euclidean_distances(xb, yb), torch.stack([want, want]),
                               **close)
    torch.testing.assert_close(squared_norms(x), torch.tensor([0., 25., 2.]), **close)
    # precomputed ||x||^2 gives the same result
    assert torch.equal(squared_euclidean_distances(x, y, squared_norms(x)),
                       squared_euclidean_distances(x, y))


def test_equal_rows_clamp_to_zero_and_match_cdist():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(20, 7, generator=g) * 100
    d = squared_euclidean_distances(x, x)
    assert (d >= 0).all() and d.diagonal().abs().max() < 1e-1
    torch.testing.assert_close(d, torch.cdist(x.double(), x.double()).square().float(),
                               rtol=1e-4, atol=0.2)


def test_bad_shapes():
    with pytest.raises(ValueError, match=r'got \(3, 2\) and \(2, 3\)'):
        squared_euclidean_distances(torch.zeros(3, 2), torch.zeros(2, 3))
    with pytest.raises(ValueError, match='B, M, C'):
        squared_euclidean_distances(torch.zeros(2, 3, 2), torch.zeros(3, 3, 2))
