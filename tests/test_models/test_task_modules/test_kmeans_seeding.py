"""Greedy k-means++ seeding: plain k-means++ draw for draw with one trial, the candidate that
lowers the potential most otherwise, and no stuck problem on well-separated blobs."""
import numpy as np
import pytest
import torch

from hp_mm.models.task_modules import BatchedKMeans
from hp_mm.models.task_modules.clustering.counter_rng import counter_uniform
from hp_mm.models.task_modules.clustering.kmeans_seeding import (default_local_trials,
                                                                 init_centroids, kmeans_plusplus,
                                                                 random_init)
from kmeans_reference import adjusted_rand_index


def numpy_greedy_kmeans_plusplus(x, mask, K, T, seed):
    """Reference for one problem in float64 numpy: candidate t of step k is drawn by inverse
    CDF with the uniform of counter t * K + k (the documented draws), the candidate with the
    smallest potential sum_n min(D^2_n, ||x_n - c||^2) is kept (first of equals)."""
    u = counter_uniform(torch.tensor([seed]), torch.arange(K * T), stream=1)[0].numpy()
    u = u.reshape(T, K)
    x = x.astype(np.float64)
    valid = mask.astype(np.float64)

    def draw(w, uu):
        cum = np.cumsum(w)
        return min(int(np.searchsorted(cum, uu * cum[-1], side='right')), len(w) - 1)

    chosen = [draw(valid, u[0, 0])]
    d2 = ((x - x[chosen[0]])**2).sum(1) * valid
    for k in range(1, K):
        w = d2 if d2.sum() > 0 else valid
        cands = [draw(w, u[t, k]) for t in range(T)]
        dc = [((x - x[c])**2).sum(1) * valid for c in cands]
        pots = [np.minimum(d2, d).sum() for d in dc]
        best = int(np.argmin(pots))
        chosen.append(cands[best])
        d2 = np.minimum(d2, dc[best])
    return chosen


def test_default_trials_as_scikit_learn():
    assert [default_local_trials(k) for k in (1, 2, 3, 4, 6, 7, 8, 20, 21)] == \
        [2, 2, 3, 3, 3, 3, 4, 4, 5]   # 2 + floor(ln K)


@pytest.mark.parametrize('trials', [1, 3, 5])
def test_matches_the_numpy_reference_draw_for_draw(trials):
    g = torch.Generator().manual_seed(trials)
    x = torch.randn(4, 60, 5, generator=g) * torch.tensor([1., 2., 3., 4.])[:, None, None]
    mask = torch.rand(4, 60, generator=g) > 0.3
    seeds = torch.tensor([3, 17, -5, 2**35])
    c = kmeans_plusplus(x, 5, mask, seeds, n_local_trials=trials)
    for b in range(4):
        chosen = numpy_greedy_kmeans_plusplus(x[b].numpy(), mask[b].numpy(), 5, trials,
                                              int(seeds[b]))
        assert torch.equal(c[b], x[b, chosen]), b
        assert mask[b, chosen].all()


def test_picks_distinct_far_points_and_respects_the_mask():
    # two tight pairs far apart: K=2 must take one point of each pair, for any seed
    x = torch.tensor([[0., 0.], [0.01, 0.], [100., 0.], [100.01, 0.]])[None]
    mask = torch.ones(1, 4, dtype=torch.bool)
    for s in range(10):
        for trials in (1, None):
            c = kmeans_plusplus(x, 2, mask, torch.tensor([s]), trials)
            assert sorted((c[0, :, 0] > 50).tolist()) == [False, True]
    mask = torch.tensor([[True, False, True, False]])
    for s in range(10):
        assert sorted(random_init(x, 2, mask, torch.tensor([s]))[0, :, 0].tolist()) == [0., 100.]
        assert sorted(init_centroids(x, 2, mask, torch.tensor([s]))[0, :, 0].tolist()) == [0., 100.]
    with pytest.raises(ValueError, match="init must be 'k-means\\+\\+' or 'random'"):
        init_centroids(x, 2, mask, torch.tensor([0]), 'faiss')


def _blob_problems(num_problems=360, per_blob=50, dim=32, spread=10., seed=0):
    """Problems of 4 Gaussian blobs: unit noise (sigma = 1) around centres drawn per
    coordinate from N(0, (10 sigma)^2), the setting in which plain k-means++ was measured to
    leave 9 of 360 problems merged / split. Points shuffled per problem."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(num_problems, 4, dim, generator=g) * spread
    truth = torch.arange(4).repeat_interleave(per_blob)
    x = centres[:, truth] + torch.randn(num_problems, 4 * per_blob, dim, generator=g)
    perm = torch.argsort(torch.rand(num_problems, 4 * per_blob, generator=g), 1)
    return torch.gather(x, 1, perm[..., None].expand(-1, -1, dim)), truth[perm]


def test_no_problem_stuck_on_well_separated_blobs():
    x, truth = _blob_problems()
    _, labels = BatchedKMeans(4, max_iter=20, seed=0).fit(x)
    stuck = [b for b in range(len(x)) if adjusted_rand_index(truth[b], labels[b]) < 1]
    assert stuck == []                       # each blob exactly one cluster, in every problem
    # the same problems with plain k-means++ (one candidate per step): some get two seeds in
    # one blob, which Lloyd cannot undo
    _, plain = BatchedKMeans(4, max_iter=20, seed=0, n_local_trials=1).fit(x)
    stuck_plain = [b for b in range(len(x)) if adjusted_rand_index(truth[b], plain[b]) < 1]
    assert len(stuck_plain) >= 3
