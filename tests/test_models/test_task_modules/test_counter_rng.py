"""Counter-based random numbers: per-problem independence, uniform moments, weighted draws."""
import pytest
import torch

from hp_mm.models.task_modules.clustering.counter_rng import (counter_uniform, problem_seeds,
                                                              sample_weighted)


def test_counter_uniform_is_per_problem_and_uniform():
    seeds = torch.tensor([0, 1, 7, -3, 2**40])
    u = counter_uniform(seeds, torch.arange(5000))
    assert u.dtype == torch.float64 and u.shape == (5, 5000)
    assert ((u > 0) & (u < 1)).all()
    # a problem's numbers depend only on its own seed and on the counter, not on the others
    alone = counter_uniform(seeds[2:3], torch.arange(5000))
    assert torch.equal(alone[0], u[2])
    assert torch.equal(counter_uniform(seeds, torch.arange(100, 200)), u[:, 100:200])
    # streams differ, rows differ, moments of U(0, 1)
    assert not torch.equal(counter_uniform(seeds, torch.arange(5000), stream=1), u)
    assert not torch.equal(u[0], u[1])
    assert abs(float(u.mean()) - 0.5) < 0.01 and abs(float(u.var()) - 1 / 12) < 0.005


def test_problem_seeds():
    assert problem_seeds(5, 3).tolist() == [5, 6, 7]
    assert problem_seeds(5, 2, seeds=[9, -1]).tolist() == [9, -1]
    with pytest.raises(ValueError, match='seeds has 2 entries for 3 problems'):
        problem_seeds(0, 3, seeds=torch.tensor([1, 2]))


def test_sample_weighted_inverse_cdf_by_hand():
    # weights 1, 0, 3: CDF 0.25, 0.25, 1 -> u < 0.25 picks 0, u >= 0.25 picks 2, never 1
    w = torch.tensor([[1., 0., 3.], [0., 2., 0.]], dtype=torch.float64)
    u = torch.tensor([[0.1, 0.24, 0.26, 0.99], [0.01, 0.5, 0.7, 0.999]], dtype=torch.float64)
    assert sample_weighted(w, u).tolist() == [[0, 0, 2, 2], [1, 1, 1, 1]]
