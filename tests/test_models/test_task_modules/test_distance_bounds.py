"""Hamerly's bounds in Lloyd: the bound rules by hand, the bounds stay valid against float64
distances, and the bounded Lloyd gives plain Lloyd's result while reading fewer rows."""
import torch

import hp_mm.models.task_modules.clustering.lloyd as lloyd_module
from hp_mm.models.task_modules.clustering.distance_bounds import (bounds_from_scores,
                                                                  half_separation,
                                                                  rows_to_check,
                                                                  score_tolerance,
                                                                  shift_bounds_)
from hp_mm.models.task_modules.clustering.lloyd import lloyd


def test_shift_bounds_by_hand():
    old = torch.tensor([[[0., 0.], [10., 0.], [0., 10.]]])
    new = torch.tensor([[[3., 4.], [10., 1.], [0., 8.]]])  # moves 5, 1, 2
    upper = torch.tensor([[1., 1., 1., 1.]])
    lower = torch.tensor([[9., 9., 9., 9.]])
    labels = torch.tensor([[0, 1, 2, -1]])
    shift_bounds_(upper, lower, labels, old, new)
    # own move added; the largest move among the others subtracted (5, or 2 for cluster 0)
    assert upper.tolist() == [[6., 2., 3., 6.]]
    assert lower.tolist() == [[7., 4., 4., 7.]]


def test_half_separation_and_rows_to_check_by_hand():
    c = torch.tensor([[[0., 0.], [6., 8.], [0., 4.]]])  # pairwise 10, 4, sqrt(52)
    s = half_separation(c)
    torch.testing.assert_close(s, torch.tensor([[2., 0.5 * 52 ** 0.5, 2.]]))
    assert half_separation(c[:, :1]).isinf().all()  # K = 1: nothing to be nearer than
    upper = torch.tensor([[1.9, 3.0, 3.0, 5.0]])
    lower = torch.tensor([[0.0, 3.5, 2.5, 9.0]])
    labels = torch.tensor([[0, 0, 2, 1]])
    mask = torch.tensor([[True, True, True, False]])
    # u <= s_a (1.9 <= 2); u <= l (3 <= 3.5); u > max(l, s) (3 > 2.5, 2); masked
    assert rows_to_check(upper, lower, labels, s, mask).tolist() == [[False, False, True, False]]


def test_bounds_from_scores_cover_the_float32_rounding():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 500, 64, generator=g) * 30 + 100  # large norms: rounding matters
    c = x[:, :5].clone() + torch.randn(2, 5, 64, generator=g)
    score32 = torch.bmm(x, (-2 * c).transpose(1, 2)) + (c * c).sum(-1)[:, None]
    top = score32.topk(2, dim=-1, largest=False)
    x_sq = x.square().sum(-1)
    upper, lower = bounds_from_scores(top.values[..., 0], top.values[..., 1], x_sq,
                                      score_tolerance(x_sq, c))
    exact = torch.cdist(x.double(), c.double())  # (2, 500, 5)
    own = exact.gather(-1, top.indices[..., :1])[..., 0]
    others = exact.scatter(-1, top.indices[..., :1], float('inf')).amin(-1)
    assert (upper.double() >= own).all() and (lower.double() <= others).all()
    # and not uselessly wide: within 1 % for the points not at a centroid (the tolerance
    # is absolute in the squared distance, so it widens small distances relatively more)
    assert ((upper.double() - own) / own)[:, 5:].max() < 0.01


def test_bounds_stay_valid_while_lloyd_runs():
    """After every bounded assignment: u >= the float64 distance to the assigned
    centroid, l <= the distance to every other centroid."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 400, 8, generator=g)
    mask = torch.ones(3, 400, dtype=torch.bool)
    centroids = x[:, :5].clone()
    x_sq = x.square().sum(-1)
    first = lloyd_module._assign_chunks(x, centroids, mask, 1000, with_sums=False,
                                        with_second=True)
    labels = first.labels
    upper, lower = bounds_from_scores(first.score, first.second, x_sq,
                                      score_tolerance(x_sq, centroids))
    buffer = x.new_empty(3 * 8 * 16)  # 16 rows per problem per slice: several slices
    for _ in range(6):
        onehot = torch.nn.functional.one_hot(labels, 5).float()
        new = torch.bmm(onehot.transpose(1, 2), x) / onehot.sum(1).clamp(min=1)[..., None]
        labels = lloyd_module._bounded_assignment(x, mask, new, centroids, labels, upper,
                                                  lower, x_sq, buffer, chunk=1000)
        centroids = new
        exact = torch.cdist(x.double(), centroids.double())
        assert torch.equal(labels, exact.argmin(-1))
        own = exact.gather(-1, labels[..., None])[..., 0]
        others = exact.scatter(-1, labels[..., None], float('inf')).amin(-1)
        assert (upper.double() >= own - 1e-9).all() and (lower.double() <= others + 1e-9).all()


def _split_blobs(seed=0):
    """Four problems of overlapping blobs clustered with more centroids than blobs (many
    points near a boundary, labels still moving late), masked to different sizes."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(4, 3, 16, generator=g) * 3
    x = centres[:, torch.arange(900) % 3] + torch.randn(4, 900, 16, generator=g)
    mask = torch.ones(4, 900, dtype=torch.bool)
    mask[1, 700:] = False
    mask[3, 500:] = False
    x[~mask] = 0.0
    return x, mask, x[:, [0, 1, 2, 3, 4]].clone()


def test_bounded_lloyd_equals_plain_lloyd_and_reads_fewer_rows(monkeypatch):
    x, mask, init = _split_blobs()
    plain_c, plain_l, plain_steps = lloyd(x, mask, init, max_iter=40, bounds=False)
    checked = []
    assign_rows = lloyd_module._assign_rows

    def counting(x_, c_, check, buffer):
        checked.append(int(check.sum()))
        return assign_rows(x_, c_, check, buffer)

    monkeypatch.setattr(lloyd_module, '_assign_rows', counting)
    c, lab, steps = lloyd(x, mask, init, max_iter=40)
    assert steps == plain_steps and steps > 5          # the labels kept moving for a while
    assert torch.equal(lab, plain_l) and (lab[~mask] == -1).all()
    torch.testing.assert_close(c, plain_c, atol=1e-5, rtol=1e-5)
    # the bounded passes (after the full first one) recomputed well under all valid rows
    assert checked and sum(checked) < 0.5 * int(mask.sum()) * len(checked)
